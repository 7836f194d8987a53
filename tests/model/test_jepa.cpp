#include <gtest/gtest.h>

#include "../train/fixtures.hpp"
#include "model/jepa.hpp"
#include "model/tiny_encoder.hpp"

using namespace jepa;

using fixtures::small_model;

TEST(Jepa, TargetStartsEqualAndFollowsByEma) {
  torch::manual_seed(0);
  config::JepaConfig jc;
  model::Jepa m(small_model(), jc, 100);
  auto ctx = m->context_encoder->named_parameters();
  auto tgt = m->target_encoder->named_parameters();
  for (const auto& p : ctx) EXPECT_TRUE(torch::equal(p.value(), tgt[p.key()])) << p.key();
  for (const auto& p : tgt) EXPECT_FALSE(p.value().requires_grad());

  std::map<std::string, torch::Tensor> before;
  for (const auto& p : tgt) before[p.key()] = p.value().clone();
  {
    torch::NoGradGuard g;
    for (auto& p : m->context_encoder->parameters()) p.add_(1.0);
  }
  m->ema_update(0.9);
  for (const auto& p : ctx) {
    auto expect = 0.9 * before[p.key()] + 0.1 * p.value();
    EXPECT_TRUE(torch::allclose(tgt[p.key()], expect, 1e-6, 1e-6)) << p.key();
  }
}

TEST(Jepa, StateNamesFollowPyTorchLayout) {
  config::JepaConfig jc;
  model::Jepa m(small_model(), jc, 100);
  auto st = m->state();
  for (const char* k : {"context_encoder.emb.weight", "context_encoder.pos.weight",
                        "context_encoder.enc.layers.0.self_attn.in_proj_weight",
                        "context_encoder.enc.layers.1.self_attn.out_proj.bias", "context_encoder.enc.layers.0.linear1.weight",
                        "context_encoder.enc.layers.0.norm2.bias", "target_encoder.enc.layers.1.linear2.weight",
                        "predictor.net.0.weight", "predictor.net.3.bias"})
    EXPECT_TRUE(st.count(k)) << k;
  EXPECT_EQ(st.at("predictor.net.0.weight").sizes(), (std::vector<int64_t>{64, 32}));
}

TEST(Jepa, LoadStateRejectsMissingUnexpectedAndMisshapen) {
  config::JepaConfig jc;
  model::Jepa m(small_model(), jc, 100);
  auto st = m->state();
  std::map<std::string, torch::Tensor> copy;
  for (auto& [k, v] : st) copy[k] = v.clone();

  auto missing = copy;
  missing.erase("predictor.net.3.bias");
  EXPECT_THROW(
      try { m->load_state(missing); } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("missing tensor 'predictor.net.3.bias'"), std::string::npos);
        throw;
      },
      std::runtime_error);
  auto extra = copy;
  extra["predictor.net.9.weight"] = torch::zeros({1});
  EXPECT_THROW(m->load_state(extra), std::runtime_error);
  auto shape = copy;
  shape["context_encoder.emb.weight"] = torch::zeros({3, 3});
  EXPECT_THROW(m->load_state(shape), std::runtime_error);

  copy["predictor.net.0.bias"].fill_(0.25);
  m->load_state(copy);
  EXPECT_TRUE(torch::all(m->state().at("predictor.net.0.bias") == 0.25).item<bool>());
}

TEST(TinyEncoder, PaddingDoesNotChangeRealTokens) {
  torch::manual_seed(1);
  auto cfg = small_model();
  model::TinyEncoder enc(100, cfg.dim, cfg.layers, cfg.heads, cfg.ff_dim, 0.0, cfg.max_positions);
  enc.eval();
  auto ids = torch::tensor({{1, 5, 6, 7, 2}});
  auto out = enc.forward(ids, torch::ones({1, 5}, torch::kLong));
  auto padded = torch::tensor({{1, 5, 6, 7, 2, 0, 0}});
  auto att = torch::tensor({{1, 1, 1, 1, 1, 0, 0}});
  auto out2 = enc.forward(padded, att);
  EXPECT_TRUE(torch::allclose(out, out2.slice(1, 0, 5), 1e-5, 1e-5));
}

TEST(Jepa, IsOneModuleWhoseTrainablePartsAreContextThenPredictor) {
  config::JepaConfig jc;
  model::Jepa m(small_model(), jc, 100);
  std::vector<std::string> children;
  for (const auto& c : m->named_children()) children.push_back(c.key());
  EXPECT_EQ(children, (std::vector<std::string>{"context_encoder", "target_encoder", "predictor"}));

  std::vector<torch::Tensor> expect = m->context_encoder->parameters();
  for (const auto& p : m->predictor->parameters()) expect.push_back(p);
  const auto trainable = m->trainable_parameters();
  ASSERT_EQ(trainable.size(), expect.size());
  for (size_t i = 0; i < expect.size(); ++i) EXPECT_TRUE(trainable[i].is_same(expect[i])) << i;
  EXPECT_EQ(m->parameters().size(), trainable.size() + m->target_encoder->parameters().size());

  m->train(true);  // jepa.target_eval (default): the target stays in eval mode
  EXPECT_TRUE(m->context_encoder->is_training() && m->predictor->is_training());
  EXPECT_FALSE(m->target_encoder->is_training());
  jc.target_eval = false;
  model::Jepa reference_mode(small_model(), jc, 100);
  reference_mode->train(true);
  EXPECT_TRUE(reference_mode->target_encoder->is_training());
  reference_mode->eval();
  EXPECT_FALSE(reference_mode->context_encoder->is_training() || reference_mode->target_encoder->is_training());
}

TEST(Encoders, LayerOutputsEndWithTheLastHiddenStateForEveryBackbone) {
  for (const std::string name : {"tiny", "bert", "distilbert", "llama"}) {
    auto cfg = small_model();
    cfg.name = name;
    torch::manual_seed(2);
    auto enc = model::make_encoder(cfg, 120);
    enc->eval();
    const auto ids = torch::tensor({{101, 20, 21, 102, 0}}), mask = torch::tensor({{1, 1, 1, 1, 0}});
    std::vector<torch::Tensor> layers;
    const auto last = enc->forward(ids, mask, &layers);
    ASSERT_EQ(layers.size(), 2u) << name;
    EXPECT_TRUE(torch::equal(layers.back(), last)) << name;
    EXPECT_FALSE(torch::equal(layers.front(), last)) << name;
    EXPECT_TRUE(torch::equal(enc->forward(ids, mask), last)) << name;
  }
  EXPECT_EQ(model::backbone_names("|", false), "tiny|bert|distilbert|llama");
  EXPECT_TRUE(model::is_hf_backbone("bert") && model::is_hf_backbone("distilbert"));
  EXPECT_FALSE(model::is_hf_backbone("tiny"));
}

// sync_target copies buffers too (BERT's frozen pooler): the target starts as an exact copy of the context
// encoder's whole state, as after the initial broadcast on N ranks.
TEST(Jepa, SyncTargetCopiesBuffersToo) {
  auto cfg = small_model();
  cfg.name = "bert";
  torch::manual_seed(4);
  model::Jepa m(cfg, config::JepaConfig{}, 120);
  const auto ctx = m->context_encoder->named_buffers(), tgt = m->target_encoder->named_buffers();
  ASSERT_GT(ctx.size(), 0u);
  for (const auto& b : ctx) EXPECT_TRUE(torch::equal(b.value(), tgt[b.key()])) << b.key();
  {
    torch::NoGradGuard g;
    for (auto& b : m->context_encoder->buffers()) b.add_(1.0);
  }
  m->sync_target();
  for (const auto& b : m->context_encoder->named_buffers()) EXPECT_TRUE(torch::equal(b.value(), m->target_encoder->named_buffers()[b.key()])) << b.key();
}
