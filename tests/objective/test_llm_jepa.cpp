// The LLM-JEPA objective (objective/llm_jepa_objective.hpp) on a small random decoder.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/paired_batch.hpp"
#include "model/jepa.hpp"
#include "model/llama_decoder.hpp"
#include "objective/llm_jepa_objective.hpp"

using namespace jepa;

namespace {

data::BpeTokenizer chat_tokenizer() {
  return data::BpeTokenizer::train({"lines containing the string 'dog'", ".*(dog).*", "lines starting with a digit",
                                    "([0-9]).*", "lines ending with a vowel", ".*[AEIOUaeiou]"},
                                   320, data::chat_specials());
}

struct Fixture {
  data::BpeTokenizer tok = chat_tokenizer();
  std::vector<data::PairedExample> examples;
  Fixture() {
    for (const auto& [t, c] : std::vector<std::pair<std::string, std::string>>{
             {"lines containing the string 'dog'", ".*(dog).*"},
             {"lines starting with a digit", "([0-9]).*"},
             {"lines ending with a vowel", ".*[AEIOUaeiou]"}})
      examples.push_back(data::encode_example(tok, {"", t, c}));
  }
  data::Batch batch(int64_t k, bool packed, bool left, int64_t step = -1) const {
    const auto id = data::ChatIds::of(tok);
    data::PairedParams p;
    p.pred_tokens = k;
    p.packed = packed;
    p.left_pad = left;
    p.bos = id.bos;
    p.pad = id.pad;
    p.pred = id.pred;
    auto b = data::collate_paired(examples, p);
    b.step = step;
    return b;
  }
};

config::Config cfg_with(const std::string& distance, double lambda = 1.0, double dropout = 0.0) {
  config::Config c;
  c.train.objective = "llm_jepa";
  c.model.name = "llama";
  c.model.dim = 32;
  c.model.layers = 2;
  c.model.heads = 4;
  c.model.kv_heads = 2;
  c.model.ff_dim = 64;
  c.jepa.distance = distance;
  c.jepa.lambda = lambda;
  c.jepa.loss_dropout = dropout;
  return c;
}

struct Run {
  std::vector<double> sums;
  std::vector<int64_t> counts;
  std::vector<torch::Tensor> grads;
};

Run run(const config::Config& c, const data::Batch& b, int64_t vocab) {
  torch::manual_seed(7);
  model::Jepa m(c.model, c.jepa, vocab);
  objective::LlmJepaObjective obj(c);
  const auto out = obj.compute(*m, b);
  Run r;
  for (const auto& t : out.terms) {
    r.sums.push_back(t.sum.item<double>());
    r.counts.push_back(t.count);
  }
  objective::combine(out, objective::local_counts(out)).backward();
  for (const auto& p : m->trainable_parameters()) r.grads.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
  const auto predicted = obj.term_counts(b);
  EXPECT_TRUE(predicted && *predicted == r.counts);
  return r;
}

double max_grad_diff(const Run& a, const Run& b) {
  double d = 0;
  for (size_t i = 0; i < a.grads.size(); ++i) d = std::max(d, (a.grads[i] - b.grads[i]).abs().max().item<double>());
  return d;
}

}  // namespace

TEST(LlmJepa, PackedEqualsThreeRowsUnderBothPaddings) {
  Fixture f;
  for (const std::string dist : {"cosine", "mse", "l2", "infonce"})
    for (const int64_t k : {0, 2}) {
      const auto c = cfg_with(dist);
      const auto ref = run(c, f.batch(k, /*packed=*/false, /*left=*/false), f.tok.vocab_size());
      ASSERT_EQ(ref.sums.size(), 2u);
      EXPECT_GT(ref.sums[1], 0.0);
      for (const bool packed : {false, true})
        for (const bool left : {false, true}) {
          const auto r = run(c, f.batch(k, packed, left), f.tok.vocab_size());
          EXPECT_EQ(r.counts, ref.counts);
          EXPECT_NEAR(r.sums[0], ref.sums[0], 1e-4) << dist << " k " << k << " packed " << packed << " left " << left;
          EXPECT_NEAR(r.sums[1], ref.sums[1], 1e-5) << dist << " k " << k << " packed " << packed << " left " << left;
          EXPECT_LT(max_grad_diff(r, ref), 1e-5) << dist << " k " << k << " packed " << packed << " left " << left;
        }
    }
}

TEST(LlmJepa, DistancesMatchTheirDefinitions) {
  Fixture f;
  const auto b = f.batch(1, true, false);
  torch::manual_seed(7);
  auto c = cfg_with("cosine");
  model::Jepa m(c.model, c.jepa, f.tok.vocab_size());
  auto& dec = dynamic_cast<model::LlamaDecoder&>(*m->context_encoder);
  const auto& v = *b.paired;
  const auto h = dec.forward_segments(v.view_ids, v.view_positions, v.view_segments).reshape({-1, 32});
  const auto t = h.index_select(0, v.text_last), e = h.index_select(0, v.code_last);
  EXPECT_NEAR(objective::pair_distance_sum(t, e, "cosine").item<double>(),
              (1 - torch::cosine_similarity(t, e, 1, 1e-12)).sum().item<double>(), 1e-5);
  EXPECT_NEAR(objective::pair_distance_sum(t, e, "mse").item<double>(), (t - e).pow(2).mean(1).sum().item<double>(), 1e-5);
  EXPECT_NEAR(objective::pair_distance_sum(t, e, "l2").item<double>(), (t - e).pow(2).sum(1).sqrt().sum().item<double>(), 1e-5);
  // InfoNCE on one rank: cross-entropy of cos / τ with the matching code as the label, one value per batch.
  c.jepa.distance = "infonce";
  objective::LlmJepaObjective obj(c);
  const auto out = obj.compute(*m, b);
  const auto tn = torch::nn::functional::normalize(t, torch::nn::functional::NormalizeFuncOptions().dim(1));
  const auto en = torch::nn::functional::normalize(e, torch::nn::functional::NormalizeFuncOptions().dim(1));
  const auto want = torch::nn::functional::cross_entropy(torch::matmul(tn, en.t()) / 0.07, torch::arange(3));
  EXPECT_NEAR(out.terms[1].sum.item<double>(), want.item<double>(), 1e-5);
  EXPECT_EQ(out.terms[1].count, 1);
}

TEST(LlmJepa, NextTokenLossIsTheMeanCrossEntropyOfTheAnswer) {
  Fixture f;
  const auto b = f.batch(0, true, false);
  torch::manual_seed(7);
  const auto c = cfg_with("cosine", /*lambda=*/0.0);
  model::Jepa m(c.model, c.jepa, f.tok.vocab_size());
  objective::LlmJepaObjective obj(c);
  const auto out = obj.compute(*m, b);
  ASSERT_EQ(out.terms.size(), 1u);  // lambda 0: NTP only, the views are not run
  auto& dec = dynamic_cast<model::LlamaDecoder&>(*m->context_encoder);
  double want = 0;
  int64_t n = 0;
  for (size_t i = 0; i < f.examples.size(); ++i) {  // each example alone, unpadded
    const auto& e = f.examples[i];
    const auto ids = torch::tensor(std::vector<int64_t>(e.doc.begin(), e.doc.end())).unsqueeze(0);
    const auto logp = torch::log_softmax(dec.logits(dec.forward(ids, torch::ones_like(ids))), -1)[0];
    for (int64_t t = e.views.code_begin + 1; t < e.views.code_end; ++t, ++n) want -= logp[t - 1][e.doc[static_cast<size_t>(t)]].item<double>();
  }
  EXPECT_EQ(out.terms[0].count, n);
  EXPECT_NEAR(out.terms[0].sum.item<double>(), want, 1e-3);
}

TEST(LlmJepa, BothViewsGetGradients) {
  Fixture f;
  auto c = cfg_with("cosine");
  c.jepa.gamma = 0.0;  // the JEPA term alone
  torch::manual_seed(7);
  model::Jepa m(c.model, c.jepa, f.tok.vocab_size());
  objective::LlmJepaObjective obj(c);
  const auto b = f.batch(1, true, false);
  const auto out = obj.compute(*m, b);
  objective::combine(out, objective::local_counts(out)).backward();
  const auto g = dynamic_cast<model::LlamaDecoder&>(*m->context_encoder).token_embedding().grad();
  const auto id = data::ChatIds::of(f.tok);
  // Rows of tokens only in the text view ([PRED]) and only in the code view (<|assistant|>) both move: no stop-gradient.
  EXPECT_GT(g[id.pred].abs().sum().item<double>(), 0);
  EXPECT_GT(g[id.assistant].abs().sum().item<double>(), 0);
}

TEST(LlmJepa, LossDropoutIsDrawnPerStepAlikeEverywhere) {
  Fixture f;
  const auto c = cfg_with("cosine", 1.0, 0.3);
  objective::LlmJepaObjective a(c), b(c);
  int dropped = 0;
  for (int64_t step = 0; step < 2000; ++step) {
    const auto bt = f.batch(0, true, false, step);
    const bool d = a.drops_views(bt);
    EXPECT_EQ(d, b.drops_views(bt));  // another rank (or a resumed run) draws the same
    dropped += d;
  }
  EXPECT_NEAR(dropped / 2000.0, 0.3, 0.04);
  // A dropped step: the JEPA term is 0 with count 0, as term_counts() says before the forward.
  for (int64_t step = 0; step < 50; ++step) {
    const auto bt = f.batch(0, true, false, step);
    if (!a.drops_views(bt)) continue;
    const auto r = run(c, bt, f.tok.vocab_size());
    EXPECT_EQ(r.counts[1], 0);
    EXPECT_EQ(r.sums[1], 0.0);
    return;
  }
  FAIL() << "no dropped step among the first 50";
}
