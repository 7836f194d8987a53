// The Objective seam end to end: objectives defined here, in the test, registered by name and trained by the
// unmodified Trainer (nothing in src/train/ knows them). Checks that the trainer minimises exactly
// Σ weight · sum / count, logs each term and the objective's metrics, and that training lowers the toy loss.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "../train/fixtures.hpp"
#include "objective/jepa_objective.hpp"
#include "objective/objective.hpp"
#include "train/trainer.hpp"

using namespace jepa;

namespace {

// Plain MSE between prediction and target embedding, averaged over dimensions, summed over every real token (not
// only the masked ones: its count differs from the cosine term's, so a shared denominator would be caught).
class MseObjective : public objective::Objective {
 public:
  objective::Output compute(model::JepaImpl& m, const data::Batch& b) override {
    auto pred = m.predictor(m.context_encoder->forward(b.masked_input_ids, b.attention_mask));
    torch::Tensor target;
    {
      torch::NoGradGuard g;
      target = m.target_encoder->forward(b.input_ids, b.attention_mask);
    }
    const auto per_position = (pred - target).pow(2).mean(-1);
    const auto real = b.attention_mask.to(torch::kBool);
    const int64_t count = real.sum().item<int64_t>();
    objective::Output out;
    out.terms.push_back({"mse", per_position.masked_select(real).sum(), count});
    out.metrics["real_tokens"] = static_cast<double>(count);
    return out;
  }
};

// Two weighted terms: 0.5 · MSE + 2 · the built-in masked cosine.
class MixedObjective : public objective::Objective {
 public:
  explicit MixedObjective(const config::Config& cfg) : cosine_(cfg.jepa) {}
  objective::Output compute(model::JepaImpl& m, const data::Batch& b) override {
    auto out = mse_.compute(m, b);
    out.terms[0].weight = 0.5;
    auto cos = cosine_.compute(m, b).terms.at(0);
    cos.weight = 2.0;
    out.terms.push_back(cos);
    return out;
  }

 private:
  MseObjective mse_;
  objective::JepaObjective cosine_;
};

// Trains only the predictor (on the target encoder's output): the context encoder's parameters get no gradient.
class PredictorOnlyObjective : public objective::Objective {
 public:
  objective::Output compute(model::JepaImpl& m, const data::Batch& b) override {
    torch::Tensor h;
    {
      torch::NoGradGuard g;
      h = m.target_encoder->forward(b.input_ids, b.attention_mask);
    }
    objective::Output out;
    out.terms.push_back({"pred", m.predictor(h).pow(2).mean(-1).sum(), h.size(0) * h.size(1)});
    return out;
  }
};

// An objective whose metric would overwrite the logged loss.
class CollidingObjective : public MseObjective {
 public:
  objective::Output compute(model::JepaImpl& m, const data::Batch& b) override {
    auto out = MseObjective::compute(m, b);
    out.metrics["loss"] = 0.0;
    return out;
  }
};

void register_test_objectives() {
  static const bool once = [] {
    objective::register_objective("test_collide", [](const config::Config&) { return std::make_unique<CollidingObjective>(); });
    objective::register_objective("test_mse", [](const config::Config&) { return std::make_unique<MseObjective>(); });
    objective::register_objective("test_mixed", [](const config::Config& c) { return std::make_unique<MixedObjective>(c); });
    objective::register_objective("test_predictor_only", [](const config::Config&) { return std::make_unique<PredictorOnlyObjective>(); });
    return true;
  }();
  (void)once;
}

config::Config deterministic_config(const std::filesystem::path& dir, const std::string& objective) {
  auto cfg = fixtures::small_config(dir, fixtures::synthetic_corpus(dir));
  cfg.model.dropout = 0.0;  // the expected loss below is recomputed with the same weights
  cfg.train.objective = objective;
  return cfg;
}

// The loss of `obj` on `batch` with the trainer's current weights, computed outside the trainer.
double expected_loss(objective::Objective& obj, train::Trainer& t, const data::Batch& batch) {
  torch::NoGradGuard g;
  t.model().train(true);
  double total = 0;
  for (const auto& term : obj.compute(t.model(), batch.to(t.device())).terms)
    total += term.weight * term.sum.item<double>() / static_cast<double>(term.count);
  return total;
}

std::vector<nlohmann::json> read_metrics(const std::filesystem::path& run) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(run / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

}  // namespace

TEST(ObjectiveSeam, TrainerMinimisesARegisteredToyObjective) {
  register_test_objectives();
  const auto dir = fixtures::scratch("objective_mse");
  auto cfg = deterministic_config(dir, "test_mse");
  cfg.jepa.ema_m = 1.0;  // frozen targets: a fixed regression problem, so the loss must fall
  cfg.optim.lr = 1e-3;
  train::Trainer t(cfg);
  MseObjective reference;
  const auto first = t.batch(0);
  const double expect = expected_loss(reference, t, first);
  std::vector<double> losses;
  losses.push_back(t.step(first).loss);
  EXPECT_NEAR(losses[0], expect, 1e-6 * std::max(1.0, expect));
  while (t.state().step < 24) losses.push_back(t.step(t.batch(t.state().step)).loss);
  double early = 0, late = 0;
  for (int i = 0; i < 4; ++i) early += losses[static_cast<size_t>(i)], late += losses[losses.size() - 1 - static_cast<size_t>(i)];
  EXPECT_LT(late, 0.9 * early) << "24 steps of AdamW did not lower the toy MSE: " << ::testing::PrintToString(losses);
}

TEST(ObjectiveSeam, WeightedTermsAreNormalisedSeparatelyAndLogged) {
  register_test_objectives();
  const auto dir = fixtures::scratch("objective_mixed");
  auto cfg = deterministic_config(dir, "test_mixed");
  {
    train::Trainer t(cfg);
    MixedObjective reference(cfg);
    const auto first = t.batch(0);
    const double expect = expected_loss(reference, t, first);
    const auto s = t.step(first);
    EXPECT_NEAR(s.loss, expect, 1e-6 * std::max(1.0, expect));
    ASSERT_EQ(s.term_losses.size(), 2u);
    EXPECT_NEAR(s.loss, 0.5 * s.term_losses.at("mse") + 2.0 * s.term_losses.at("jepa"), 1e-6 * s.loss);
    EXPECT_EQ(s.metrics.at("real_tokens"), static_cast<double>(first.tokens));
  }
  cfg.train.steps = 8;
  cfg.run.dir = (dir / "fit").string();
  train::Trainer t(cfg);
  t.fit();
  const auto rows = read_metrics(cfg.run.dir);
  ASSERT_EQ(rows.size(), 2u);  // log_every 4
  for (const auto& r : rows) {
    EXPECT_TRUE(r.contains("loss/mse") && r.contains("loss/jepa") && r.contains("real_tokens")) << r.dump();
    EXPECT_GT(r["loss/jepa"].get<double>(), 0.0);
  }
}

TEST(ObjectiveSeam, AMetricNamedLikeALoggedFieldIsAnError) {
  register_test_objectives();
  const auto dir = fixtures::scratch("objective_collide");
  auto cfg = deterministic_config(dir, "test_collide");
  cfg.train.steps = 4;
  train::Trainer t(cfg);
  try {
    t.fit();
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("objective metric 'loss' would overwrite"), std::string::npos) << e.what();
  }
}

// Parameters the objective does not use get a zero gradient on one process too, as the reducer gives them with
// several ranks, so AdamW treats them alike on 1 and N ranks: weight decay shrinks them.
TEST(ObjectiveSeam, UnusedParametersAreUpdatedLikeOnSeveralRanks) {
  register_test_objectives();
  const auto dir = fixtures::scratch("seam_unused");
  auto cfg = deterministic_config(dir, "test_predictor_only");
  cfg.optim.weight_decay = 0.5;
  train::Trainer t(cfg);
  const auto before = t.model().context_encoder->parameters().front().detach().clone();
  t.step(t.batch(0));
  const auto after = t.model().context_encoder->parameters().front().detach();
  ASSERT_TRUE(t.model().context_encoder->parameters().front().grad().defined());
  EXPECT_EQ(t.model().context_encoder->parameters().front().grad().abs().sum().item<double>(), 0.0);
  // AdamW with a zero gradient: p <- p (1 - lr wd), nothing else.
  const double lr = t.optimizer().param_groups().front().options().get_lr();
  EXPECT_TRUE(torch::allclose(after, before * (1.0 - lr * 0.5), 1e-6, 1e-9));
  EXPECT_FALSE(torch::equal(after, before));
}
