// The Llama-style decoder (model/llama_decoder.hpp): causality, padding, packed block-causal rows, the Jepa holder.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "config/config.hpp"
#include "model/jepa.hpp"
#include "model/llama_decoder.hpp"

using namespace jepa::model;

namespace {

LlamaConfig small(bool tied = false) {
  LlamaConfig c;
  c.vocab_size = 97;
  c.hidden_size = 32;
  c.num_layers = 2;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.intermediate_size = 64;
  c.tie_word_embeddings = tied;
  return c;
}

torch::Tensor row(std::vector<int64_t> v) { return torch::tensor(v, torch::kLong).unsqueeze(0); }

}  // namespace

TEST(LlamaDecoder, IsCausal) {
  torch::manual_seed(1);
  LlamaDecoder dec(small());
  const auto a = row({5, 6, 7, 8, 9}), b = row({5, 6, 7, 40, 41});
  const auto m = torch::ones({1, 5}, torch::kLong);
  const auto ha = dec.forward(a, m), hb = dec.forward(b, m);
  EXPECT_TRUE(torch::allclose(ha.narrow(1, 0, 3), hb.narrow(1, 0, 3), 0, 1e-6));  // a changed future is invisible
  EXPECT_FALSE(torch::allclose(ha.narrow(1, 3, 2), hb.narrow(1, 3, 2), 0, 1e-3));
}

TEST(LlamaDecoder, PaddingSideDoesNotMatter) {
  torch::manual_seed(2);
  LlamaDecoder dec(small());
  const auto ids = torch::tensor({{11, 12, 13, 14}}, torch::kLong);
  const auto alone = dec.forward(ids, torch::ones({1, 4}, torch::kLong));
  const auto right = dec.forward(torch::tensor({{11, 12, 13, 14, 0, 0}}, torch::kLong),
                                 torch::tensor({{1, 1, 1, 1, 0, 0}}, torch::kLong));
  const auto left = dec.forward(torch::tensor({{0, 0, 11, 12, 13, 14}}, torch::kLong),
                                torch::tensor({{0, 0, 1, 1, 1, 1}}, torch::kLong));
  EXPECT_LT((right.narrow(1, 0, 4) - alone).abs().max().item<double>(), 1e-5);
  EXPECT_LT((left.narrow(1, 2, 4) - alone).abs().max().item<double>(), 1e-5);
}

TEST(LlamaDecoder, PackedSegmentsEqualSeparateRows) {
  torch::manual_seed(3);
  LlamaDecoder dec(small());
  const std::vector<int64_t> t = {1, 20, 21, 22, 3}, c = {1, 30, 31, 4};
  const auto ht = dec.forward(row(t), torch::ones({1, 5}, torch::kLong));
  const auto hc = dec.forward(row(c), torch::ones({1, 4}, torch::kLong));
  // One row: text ⊕ code ⊕ padding, segments 1/2/0, positions restarting at the code.
  const auto ids = row({1, 20, 21, 22, 3, 1, 30, 31, 4, 0});
  const auto pos = row({0, 1, 2, 3, 4, 0, 1, 2, 3, 0});
  const auto seg = row({1, 1, 1, 1, 1, 2, 2, 2, 2, 0});
  const auto hp = dec.forward_segments(ids, pos, seg);
  EXPECT_LT((hp.narrow(1, 0, 5) - ht).abs().max().item<double>(), 1e-5);
  EXPECT_LT((hp.narrow(1, 5, 4) - hc).abs().max().item<double>(), 1e-5);
  EXPECT_TRUE(torch::isfinite(hp).all().item<bool>());  // the padding query attends to itself: no NaN
  // Without the block mask (one segment) the code would see the text: different states.
  const auto one = dec.forward_segments(ids, pos, row({1, 1, 1, 1, 1, 1, 1, 1, 1, 0}));
  EXPECT_GT((one.narrow(1, 5, 4) - hc).abs().max().item<double>(), 1e-3);
}

TEST(LlamaDecoder, TiedHeadUsesTheEmbedding) {
  torch::manual_seed(4);
  LlamaDecoder dec(small(true));
  for (const auto& p : dec.named_parameters()) EXPECT_EQ(p.key().find("lm_head"), std::string::npos) << p.key();
  const auto h = torch::randn({2, 32});
  EXPECT_TRUE(torch::allclose(dec.logits(h), torch::matmul(h, dec.token_embedding().t())));
  LlamaDecoder untied(small(false));
  EXPECT_EQ(untied.named_parameters().size(), dec.named_parameters().size() + 1);
}

TEST(LlamaDecoder, NamesAreTransformersStateDictKeys) {
  LlamaDecoder dec(small());
  const auto p = dec.named_parameters();
  for (const char* k : {"model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                        "model.layers.1.self_attn.k_proj.weight", "model.layers.1.mlp.gate_proj.weight",
                        "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight",
                        "model.norm.weight", "lm_head.weight"})
    EXPECT_TRUE(p.contains(k)) << k;
  EXPECT_EQ(p["model.layers.0.self_attn.k_proj.weight"].sizes(), (std::vector<int64_t>{16, 32}));  // 2 kv heads of 8
}

TEST(LlamaDecoder, JepaHolderHasNoTargetOrPredictor) {
  jepa::config::ModelConfig m;
  m.name = "llama";
  m.dim = 32;
  m.layers = 2;
  m.heads = 4;
  m.ff_dim = 64;
  Jepa model(m, jepa::config::JepaConfig{}, 50);
  EXPECT_TRUE(model->is_decoder());
  EXPECT_FALSE(model->target_encoder);
  EXPECT_FALSE(model->predictor);
  for (const auto& [name, t] : model->state()) EXPECT_EQ(name.rfind("context_encoder.", 0), 0u) << name;
  const auto before = model->context_encoder->parameters().front().clone();
  model->ema_update(0.5);  // nothing to follow: a no-op
  EXPECT_TRUE(torch::equal(before, model->context_encoder->parameters().front()));
  EXPECT_EQ(model->trainable_parameters().size(), model->context_encoder->parameters().size());
}
