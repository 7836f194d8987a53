// Held-out evaluation and the collapse monitor (design.md §1.5): alignment/uniformity on constructed embeddings,
// the eval_* record of a real run (its held-out documents never trained on), and monitor.on_collapse=stop.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "fixtures.hpp"
#include "train/heldout.hpp"
#include "train/trainer.hpp"

namespace fs = std::filesystem;
using namespace jepa;

TEST(AlignmentUniformity, ExactOnConstructedEmbeddings) {
  const auto onehot = torch::eye(4, torch::kFloat) * 3.0;  // scale is normalised away
  auto [align, unif] = train::alignment_uniformity(onehot, onehot);
  EXPECT_NEAR(align, 0.0, 1e-12);
  EXPECT_NEAR(unif, -4.0, 1e-9);  // every pair at squared distance 2: log exp(-4)
  const auto same = torch::ones({5, 3});
  std::tie(align, unif) = train::alignment_uniformity(same, -same);
  EXPECT_NEAR(align, 4.0, 1e-9);  // antipodal views
  EXPECT_NEAR(unif, 0.0, 1e-9);   // one point: log exp(0)
  // Two points at 90 degrees and their views rotated by 60 degrees: alignment = 2 - 2 cos 60 = 1.
  const auto z = torch::tensor({{1.0, 0.0}, {0.0, 1.0}}, torch::kDouble);
  const double c = std::cos(M_PI / 3), s = std::sin(M_PI / 3);
  const auto zp = torch::tensor({{c, s}, {-s, c}}, torch::kDouble);
  std::tie(align, unif) = train::alignment_uniformity(z, zp);
  EXPECT_NEAR(align, 1.0, 1e-9);
  EXPECT_THROW(train::alignment_uniformity(torch::ones({1, 3}), torch::ones({1, 3})), std::invalid_argument);
}

TEST(Heldout, RunLogsEvalFieldsAndNeverTrainsOnTheHeldOutDocuments) {
  const auto dir = fixtures::scratch("heldout_run");
  auto cfg = fixtures::small_config(dir, fixtures::synthetic_corpus(dir, 64));
  cfg.train.steps = 8;
  cfg.eval.every = 4;
  cfg.eval.docs = 16;
  cfg.eval.batch_size = 5;
  {
    train::Trainer t(cfg);
    std::set<int64_t> seen;
    for (int64_t s = 0; s < 48; ++s)  // more than an epoch of the 48 trainable documents
      for (auto d : t.batch(s).docs) seen.insert(d);
    EXPECT_EQ(seen.size(), 48u);
    EXPECT_LT(*seen.rbegin(), 48);  // documents 48..63 are the held-out set
  }
  train::Trainer t(cfg);
  t.fit();
  std::ifstream in(fs::path(cfg.run.dir) / "metrics.jsonl");
  int evals = 0;
  for (std::string line; std::getline(in, line);) {
    const auto r = nlohmann::json::parse(line);
    if (!r.contains("eval_effective_rank")) continue;
    ++evals;
    EXPECT_EQ(r["eval_docs"].get<int64_t>(), 16);
    EXPECT_GE(r["eval_effective_rank"].get<double>(), 1.0);
    EXPECT_LE(r["eval_mean_cosine"].get<double>(), 1.0);
    EXPECT_GE(r["eval_alignment"].get<double>(), 0.0);
    EXPECT_LE(r["eval_uniformity"].get<double>(), 0.0);
    EXPECT_GT(r["eval_emb_std_mean"].get<double>(), 0.0);
  }
  EXPECT_EQ(evals, 2);  // steps 4 and 8
}

TEST(Heldout, OnCollapseStopCheckpointsAndFailsNamingTheThreshold) {
  const auto dir = fixtures::scratch("heldout_stop");
  auto cfg = fixtures::small_config(dir, fixtures::synthetic_corpus(dir, 64));
  cfg.train.steps = 12;
  cfg.eval.every = 4;
  cfg.eval.docs = 16;
  cfg.monitor.max_mean_cosine = 0.0;  // any embeddings cross it
  cfg.monitor.on_collapse = "stop";
  train::Trainer t(cfg);
  try {
    t.fit();
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("collapse monitor: step 4: mean_cosine"), std::string::npos) << msg;
    EXPECT_NE(msg.find("above monitor.max_mean_cosine 0 (target embeddings of 16 held-out documents)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("checkpoint"), std::string::npos) << msg;
  }
  EXPECT_TRUE(fs::exists(fs::path(cfg.run.dir) / "checkpoints" / "step_0000004" / "model.safetensors"));
  EXPECT_EQ(t.state().step, 4);

  cfg.monitor.on_collapse = "warn";  // the same thresholds only warn
  cfg.run.dir = (dir / "warn").string();
  train::Trainer w(cfg);
  EXPECT_EQ(w.fit(), 12);
}
