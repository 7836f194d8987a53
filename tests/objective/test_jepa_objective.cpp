// The built-in objective and targets (src/objective/): the masked cosine loss, its (sum, count) form, and the
// registry that train.objective selects from.
#include <gtest/gtest.h>

#include "../train/fixtures.hpp"
#include "data/batch.hpp"
#include "objective/jepa_objective.hpp"
#include "objective/objective.hpp"
#include "objective/targets.hpp"
#include "objective/vicreg.hpp"

using namespace jepa;

using fixtures::small_model;

namespace {

// Two sequences of a 100-id vocabulary, some positions masked.
data::Batch toy_batch() {
  const data::SpecialIds sp;  // BERT ids: pad 0, cls 101, sep 102, mask 103
  std::vector<std::vector<int32_t>> seqs = {{101, 20, 21, 22, 23, 102}, {101, 30, 31, 102}};
  std::vector<std::vector<uint8_t>> masks = {{0, 1, 1, 0, 1, 0}, {0, 0, 1, 0}};
  return data::collate(seqs, masks, sp);
}
}  // namespace

TEST(Loss, ZeroWhenNothingMaskedAndStillDifferentiable) {
  auto pred = torch::randn({2, 5, 8}, torch::requires_grad());
  auto loss = objective::masked_cosine_loss(pred, torch::randn({2, 5, 8}), torch::zeros({2, 5}, torch::kBool));
  EXPECT_EQ(loss.item<double>(), 0.0);
  loss.backward();
  EXPECT_TRUE(pred.grad().defined());
  EXPECT_EQ(pred.grad().abs().sum().item<double>(), 0.0);
}

TEST(Loss, CosineDistanceOverMaskedPositionsOnly) {
  auto t = torch::randn({1, 3, 4});
  auto p = t.clone();
  p[0][2] = -t[0][2];            // opposite direction: distance 2
  p[0][0] = 3.0 * t[0][0];       // same direction, other norm: distance 0
  p[0][1] = torch::randn({4});   // unmasked: ignored
  auto mask = torch::tensor({{true, false, true}});
  EXPECT_NEAR(objective::masked_cosine_loss(p, t, mask).item<double>(), 1.0, 1e-6);
  auto [sum, count] = objective::masked_cosine_sum(p, t, mask);
  EXPECT_NEAR(sum.item<double>(), 2.0, 1e-6);
  EXPECT_EQ(count, 2);
}

TEST(JepaObjective, OneTermEqualToTheMaskedCosineOfPredictorAndTargetEncoder) {
  torch::manual_seed(3);
  config::JepaConfig jc;
  model::Jepa m(small_model(), jc, 110);
  m->train(true);
  const auto b = toy_batch();
  objective::JepaObjective obj(jc);
  const auto out = obj.compute(*m, b);
  ASSERT_EQ(out.terms.size(), 1u);
  EXPECT_EQ(out.terms[0].name, "jepa");
  EXPECT_EQ(out.terms[0].weight, 1.0);
  EXPECT_EQ(out.terms[0].count, 4);  // masked positions of the batch
  EXPECT_TRUE(out.terms[0].sum.requires_grad());

  // Independently: 1 - cos at each masked position, summed.
  torch::NoGradGuard g;
  const auto pred = m->predictor(m->context_encoder->forward(b.masked_input_ids, b.attention_mask));
  const auto tgt = m->target_encoder->forward(b.input_ids, b.attention_mask);
  double expect = 0;
  for (int64_t i = 0; i < b.pred_mask.size(0); ++i)
    for (int64_t j = 0; j < b.pred_mask.size(1); ++j)
      if (b.pred_mask[i][j].item<bool>())
        expect += 1.0 - torch::cosine_similarity(pred[i][j], tgt[i][j], 0, 1e-12).item<double>();
  EXPECT_NEAR(out.terms[0].sum.item<double>(), expect, 1e-5);
}

TEST(Targets, LastLayerIsTheEncoderOutputAndTooDeepIsAnError) {
  torch::manual_seed(4);
  config::JepaConfig jc;
  model::Jepa m(small_model(), jc, 110);
  m->eval();
  const auto b = toy_batch();
  std::vector<torch::Tensor> layers;
  const auto last = m->target_encoder->forward(b.input_ids, b.attention_mask, &layers);
  ASSERT_EQ(layers.size(), 2u);  // one output per layer
  EXPECT_TRUE(torch::equal(layers.back(), last));
  EXPECT_TRUE(torch::equal(objective::make_targets(jc)->build(*m->target_encoder, b.input_ids, b.attention_mask), last));
  jc.target_layers = 3;  // deeper than the 2-layer encoder
  try {
    objective::make_targets(jc)->build(*m->target_encoder, b.input_ids, b.attention_mask);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("jepa.target_layers 3 exceeds the encoder's 2 layers"), std::string::npos);
  }
}

TEST(Registry, UnknownObjectiveNamesTheRegisteredOnes) {
  config::Config cfg;
  EXPECT_NE(objective::make_objective(cfg), nullptr);  // default: jepa
  cfg.train.objective = "nope";
  try {
    objective::make_objective(cfg);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("train.objective 'nope' is not a registered objective"), std::string::npos) << msg;
    EXPECT_NE(msg.find("jepa"), std::string::npos) << msg;
  }
  EXPECT_THROW(objective::register_objective("jepa", [](const config::Config& c) {
                 return std::make_unique<objective::JepaObjective>(c.jepa);
               }),
               std::runtime_error);
}

// VICReg's terms (objective/vicreg.hpp); the independent PyTorch check is tests/golden/test_parity.py (case
// vicreg_mse) and the 2-rank exactness is tests/distributed/test_equivalence.py (option vicreg).
TEST(VarianceCovariance, HandComputedValues) {
  const objective::Collectives one;  // default: a single process
  // Uncorrelated columns with variances 2/3 and 8/3 (mean 0, n = 4): no covariance; the hinge only on column 0.
  const auto a = objective::variance_covariance(torch::tensor({{1.f, 0.f}, {-1.f, 0.f}, {0.f, 2.f}, {0.f, -2.f}}), one, 1.0);
  EXPECT_EQ(a.rows.item<double>(), 4.0);
  EXPECT_NEAR(a.covariance.item<double>(), 0.0, 1e-7);
  EXPECT_NEAR(a.variance.item<double>(), (1.0 - std::sqrt(2.0 / 3.0 + 1e-4)) / 2.0, 1e-6);
  // Perfectly correlated columns, C = [[2, 2], [2, 2]]: Σ_{i≠j} C_ij² / D = 8 / 2; stds above γ = 1: no hinge.
  const auto b = objective::variance_covariance(torch::tensor({{1.f, 1.f}, {-1.f, -1.f}}), one, 1.0);
  EXPECT_NEAR(b.covariance.item<double>(), 4.0, 1e-5);
  EXPECT_NEAR(b.variance.item<double>(), 0.0, 1e-7);
  // Fewer than two rows: zero, and still differentiable.
  auto x = torch::ones({1, 3}, torch::requires_grad());
  const auto c = objective::variance_covariance(x, one, 1.0);
  EXPECT_EQ(c.rows.item<double>(), 1.0);
  (c.variance + c.covariance).backward();
  EXPECT_EQ(x.grad().abs().sum().item<double>(), 0.0);
}

TEST(VarianceCovariance, GlobalSumAndOnceTermCountTheTermOnceWithEveryRanksGradient) {
  // A stand-in for a second rank whose contribution is `other`: global_sum's value is the sum, its gradient the
  // local one (the trainer sums gradients over ranks).
  const auto other = torch::tensor({10.f, 20.f});
  const objective::Collectives two{1, 2, [&](const torch::Tensor& t) { return t + other; }};
  auto x = torch::tensor({1.f, 2.f}, torch::requires_grad());
  const auto g = objective::global_sum(two, x);
  EXPECT_TRUE(torch::equal(g.detach(), torch::tensor({11.f, 22.f})));
  (g * g).sum().backward();  // d/dx of Σ (x + other)² = 2 (x + other)
  EXPECT_TRUE(torch::allclose(x.grad(), torch::tensor({22.f, 44.f})));
  // Rank 1: value 0 and count 0 (rank 0 carries the value), the same gradient.
  auto y = torch::tensor({3.f}, torch::requires_grad());
  const auto t1 = objective::once_term(two, "variance", (y * y).sum(), 0.5);
  EXPECT_EQ(t1.count, 0);
  EXPECT_EQ(t1.sum.item<double>(), 0.0);
  EXPECT_EQ(t1.weight, 0.5);
  t1.sum.backward();
  EXPECT_EQ(y.grad().item<double>(), 6.0);
  const objective::Collectives rank0{0, 2, two.sum};
  const auto t0 = objective::once_term(rank0, "variance", (y * y).sum(), 0.5);
  EXPECT_EQ(t0.count, 1);
  EXPECT_EQ(t0.sum.item<double>(), 9.0);
}

TEST(JepaObjective, VicregAddsVarianceAndCovarianceTermsWeightedVcWeight) {
  torch::manual_seed(3);
  config::JepaConfig jc;
  jc.vc_weight = 0.25;
  jc.var_target = 2.0;
  model::Jepa m(small_model(), jc, 110);
  m->train(true);
  const auto b = toy_batch();
  const auto out = objective::JepaObjective(jc).compute(*m, b);
  ASSERT_EQ(out.terms.size(), 3u);
  EXPECT_EQ(out.terms[1].name, "variance");
  EXPECT_EQ(out.terms[2].name, "covariance");
  for (size_t k = 1; k < 3; ++k) {
    EXPECT_EQ(out.terms[k].weight, 0.25);
    EXPECT_EQ(out.terms[k].count, 1);  // one value for the whole (global) batch
    EXPECT_TRUE(out.terms[k].sum.requires_grad());
  }
  EXPECT_GT(out.terms[1].sum.item<double>(), 0.0);  // a fresh predictor's per-feature std is far below 2
}
