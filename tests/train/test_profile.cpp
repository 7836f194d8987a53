// What a run reports about its own speed (docs/performance.md): padded_tokens in every record, the step profile
// of train.profile, and data.prefetch, which must change when batches are built but never the training.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fixtures.hpp"
#include "train/trainer.hpp"

namespace fs = std::filesystem;
using namespace jepa;

namespace {
std::vector<nlohmann::json> records(const config::Config& cfg) {
  std::ifstream in(fs::path(cfg.run.dir) / "metrics.jsonl");
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}
const std::vector<std::string> kPhases = {"time_data", "time_setup", "time_forward", "time_backward", "time_allreduce",
                                          "time_clip", "time_optimizer", "time_ema"};
}  // namespace

TEST(StepProfile, PhasesAddUpWithinTheStepAndPaddedTokensCountPositions) {
  const auto dir = fixtures::scratch("profile_on");
  auto cfg = fixtures::small_config(dir, fixtures::synthetic_corpus(dir, 64));
  cfg.train.steps = 8;
  cfg.train.profile = true;
  std::vector<int64_t> positions;  // B x L of each step's batch, from the loader
  {
    train::Trainer t(cfg);
    for (int64_t s = 0; s < cfg.train.steps; ++s) positions.push_back(t.batch(s).input_ids.numel());
  }
  train::Trainer(cfg).fit();
  const auto recs = records(cfg);
  ASSERT_EQ(recs.size(), 2u);  // log_every 4
  for (size_t w = 0; w < recs.size(); ++w) {
    const auto& r = recs[w];
    double sum = 0;
    for (const auto& phase : kPhases) {
      ASSERT_TRUE(r.contains(phase)) << phase;
      EXPECT_GE(r[phase].get<double>(), 0.0) << phase;
      sum += r[phase].get<double>();
    }
    EXPECT_GT(r["time_forward"].get<double>(), 0.0);
    EXPECT_GT(r["time_backward"].get<double>(), 0.0);
    EXPECT_GT(r["time_optimizer"].get<double>(), 0.0);
    // Every phase lies inside the window the step time is measured over.
    EXPECT_LE(sum, r["time_step"].get<double>() + 1e-6);
    EXPECT_GT(sum, 0.5 * r["time_step"].get<double>()) << "the phases miss most of the step";
    int64_t expect = 0;
    for (size_t s = 4 * w; s < 4 * w + 4; ++s) expect += positions[s];
    EXPECT_EQ(r["padded_tokens"].get<int64_t>(), expect);
    EXPECT_GE(r["padded_tokens"].get<int64_t>(), r["tokens"].get<int64_t>());
  }
}

TEST(StepProfile, OffByDefault) {
  const auto dir = fixtures::scratch("profile_off");
  auto cfg = fixtures::small_config(dir, fixtures::synthetic_corpus(dir, 64));
  cfg.train.steps = 4;
  train::Trainer(cfg).fit();
  const auto recs = records(cfg);
  ASSERT_EQ(recs.size(), 1u);
  for (const auto& phase : kPhases) EXPECT_FALSE(recs[0].contains(phase)) << phase;
  EXPECT_TRUE(recs[0].contains("padded_tokens"));
}

// Dropout is on in small_config: a prefetching worker that drew from the generator would change the losses.
TEST(Prefetch, OnAndOffTrainIdentically) {
  std::vector<std::vector<double>> losses;
  std::vector<torch::Tensor> weights;
  for (const bool on : {true, false}) {
    const auto dir = fixtures::scratch(std::string("prefetch_") + (on ? "on" : "off"));
    auto cfg = fixtures::small_config(dir, fixtures::synthetic_corpus(dir, 64));
    cfg.train.steps = 12;
    cfg.train.log_every = 1;
    cfg.data.prefetch = on;
    train::Trainer t(cfg);
    t.fit();
    losses.emplace_back();
    for (const auto& r : records(cfg)) losses.back().push_back(r["loss"].get<double>());
    weights.push_back(t.model().trainable_parameters().front().detach().clone());
  }
  ASSERT_EQ(losses[0].size(), 12u);
  EXPECT_EQ(losses[0], losses[1]);
  EXPECT_TRUE(torch::equal(weights[0], weights[1]));
}
