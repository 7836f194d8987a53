// What a run reports about its own speed (docs/performance.md): padded_tokens in every record, the step profile
// of train.profile, and data.prefetch, which must change when batches are built but never the training.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
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

// A run resumed in the middle of a logging window reports the window's padded_tokens as the uninterrupted run does
// (the partial window's positions are checkpointed), and a checkpoint from before the keyed permutation (no
// data_order in trainer_state.json) resumes with a warning that the epoch's order changes.
TEST(StepProfile, PaddedTokensSurviveAResumeMidWindow) {
  const auto dir = fixtures::scratch("profile_resume");
  const auto corpus = fixtures::synthetic_corpus(dir, 64);
  auto whole = fixtures::small_config(dir / "whole", corpus);
  whole.train.steps = 8;
  train::Trainer(whole).fit();

  auto part = fixtures::small_config(dir / "part", corpus);
  part.train.steps = 6;  // ends inside the window of steps 5..8, checkpointing it
  train::Trainer(part).fit();
  auto state_file = fs::path(part.run.dir) / "checkpoints" / "step_0000006" / "trainer_state.json";
  auto js = nlohmann::json::parse(std::ifstream(state_file));
  EXPECT_EQ(js["data_order"].get<int64_t>(), 2);
  js.erase("data_order");  // as written before the keyed permutation
  std::ofstream(state_file) << js.dump(2);
  part.train.steps = 8;
  part.train.resume = "auto";
  train::Trainer(part).fit();

  const auto a = records(whole), b = records(part);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1]["step"].get<int64_t>(), 8);
  EXPECT_EQ(b[1]["padded_tokens"].get<int64_t>(), a[1]["padded_tokens"].get<int64_t>());
  EXPECT_EQ(b[1]["tokens"].get<int64_t>(), a[1]["tokens"].get<int64_t>());
  std::ifstream log(fs::path(part.run.dir) / "train.log");
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("written with data order 1"), std::string::npos) << text;
}
