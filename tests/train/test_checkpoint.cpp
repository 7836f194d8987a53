#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <fstream>

#include "fixtures.hpp"
#include "model/safetensors.hpp"
#include "train/checkpoint.hpp"
#include "train/optimizer.hpp"
#include "train/trainer.hpp"

namespace fs = std::filesystem;
using namespace jepa;

namespace {
std::vector<double> run_steps(train::Trainer& t, int64_t until) {
  std::vector<double> losses;
  while (t.state().step < until) losses.push_back(t.step(t.batch(t.state().step)).loss);
  return losses;
}
}  // namespace

TEST(Checkpoint, SaveLoadRoundTrip) {
  const auto dir = fixtures::scratch("ckpt_roundtrip");
  auto cfg = fixtures::small_config(dir, fixtures::synthetic_corpus(dir));
  train::Trainer a(cfg);
  run_steps(a, 3);
  const auto path = a.save();
  EXPECT_EQ(fs::path(path).filename(), "step_0000003");
  for (const char* f : {"model.safetensors", "optimizer.pt", "rng_state.safetensors", "trainer_state.json", "config.yaml"})
    EXPECT_TRUE(fs::exists(fs::path(path) / f)) << f;
  EXPECT_EQ(*train::latest_checkpoint(a.checkpoint_root()), path);

  cfg.train.resume = "auto";
  train::Trainer b(cfg);
  ASSERT_TRUE(b.resumed_from());
  EXPECT_EQ(b.state().step, 3);
  EXPECT_EQ(b.state().consumed_samples, 12);
  auto sa = a.model().state(), sb = b.model().state();
  for (const auto& [k, v] : sa) EXPECT_TRUE(torch::equal(v, sb.at(k))) << k;
  // optimizer moments restored
  auto& ga = a.optimizer().state();
  auto& gb = b.optimizer().state();
  ASSERT_EQ(ga.size(), gb.size());
  const auto pa = a.model().trainable_parameters(), pb = b.model().trainable_parameters();
  ASSERT_EQ(pa.size(), ga.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    // LibTorch keys optimizer state by the parameter's TensorImpl
    auto& x = static_cast<torch::optim::AdamWParamState&>(*ga.at(pa[i].unsafeGetTensorImpl()));
    auto& y = static_cast<torch::optim::AdamWParamState&>(*gb.at(pb[i].unsafeGetTensorImpl()));
    EXPECT_EQ(x.step(), y.step());
    EXPECT_TRUE(torch::equal(x.exp_avg(), y.exp_avg()));
    EXPECT_TRUE(torch::equal(x.exp_avg_sq(), y.exp_avg_sq()));
  }
}

TEST(Checkpoint, ResumedRunEqualsUninterruptedBitForBit) {
  const auto dir = fixtures::scratch("ckpt_resume");
  const auto corpus = fixtures::synthetic_corpus(dir, 40);  // 10 batches/epoch: the run crosses an epoch boundary
  auto cfg = fixtures::small_config(dir, corpus);
  std::vector<double> full;
  {
    cfg.run.dir = (dir / "full").string();
    train::Trainer t(cfg);
    full = run_steps(t, cfg.train.steps);
  }
  std::vector<double> resumed;
  cfg.run.dir = (dir / "split").string();
  {
    train::Trainer t(cfg);
    resumed = run_steps(t, 13);
    t.save();
    run_steps(t, 17);  // work after the checkpoint that the "crash" loses
  }
  cfg.train.resume = "auto";
  train::Trainer t(cfg);
  ASSERT_EQ(t.state().step, 13);
  auto rest = run_steps(t, cfg.train.steps);
  resumed.resize(13);
  resumed.insert(resumed.end(), rest.begin(), rest.end());
  ASSERT_EQ(full.size(), resumed.size());
  for (size_t i = 0; i < full.size(); ++i) EXPECT_EQ(full[i], resumed[i]) << "step " << i;
}

TEST(Checkpoint, KeepsLastKAndLatestPointsToNewest) {
  const auto dir = fixtures::scratch("ckpt_keep");
  auto cfg = fixtures::small_config(dir, fixtures::synthetic_corpus(dir));
  cfg.train.keep_checkpoints = 2;
  train::Trainer t(cfg);
  fs::create_directories(t.checkpoint_root() + "/step_0000001.tmp.999");  // debris of a crashed writer
  // A later step's directory belongs to another branch of history (a run resumed at an earlier checkpoint): never
  // pruned by saves of earlier steps.
  fs::create_directories(t.checkpoint_root() + "/step_0000009");
  for (int s = 1; s <= 4; ++s) {
    run_steps(t, s);
    t.save();
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(t.checkpoint_root())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"latest", "step_0000003", "step_0000004", "step_0000009"}));
  std::ifstream in(t.checkpoint_root() + "/latest");
  std::string latest;
  in >> latest;
  EXPECT_EQ(latest, "step_0000004");
}

TEST(Checkpoint, CorruptOrMissingPiecesAreClearErrors) {
  const auto dir = fixtures::scratch("ckpt_corrupt");
  auto cfg = fixtures::small_config(dir, fixtures::synthetic_corpus(dir));
  std::string path;
  {
    train::Trainer t(cfg);
    run_steps(t, 1);
    path = t.save();
  }
  auto expect_fail = [&](const std::string& needle) {
    auto c = cfg;
    c.train.resume = path;
    try {
      train::Trainer t(c);
      FAIL() << "resume did not fail (" << needle << ")";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  fs::resize_file(fs::path(path) / "model.safetensors", 1000);
  expect_fail("model.safetensors");
  std::ofstream(fs::path(path) / "trainer_state.json") << "{\"step\": ";
  expect_fail("trainer_state.json");
  fs::remove(fs::path(path) / "optimizer.pt");
  expect_fail("missing optimizer.pt");
  auto c = cfg;
  c.train.resume = (dir / "nope").string();
  EXPECT_THROW(train::Trainer t(c), std::runtime_error);
}

TEST(Checkpoint, ResavingAStepReplacesItAtomically) {
  const auto dir = fixtures::scratch("ckpt_resave");
  auto cfg = fixtures::small_config(dir, fixtures::synthetic_corpus(dir));
  train::Trainer t(cfg);
  run_steps(t, 1);
  const auto first = t.save();
  {
    torch::NoGradGuard g;
    t.model().predictor->parameters().front().fill_(0.5);
  }
  EXPECT_EQ(t.save(), first);  // same step, same directory, new contents
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(t.checkpoint_root())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"latest", "step_0000001"}));  // no leftovers
  auto w = model::load_safetensors(first + "/model.safetensors");
  EXPECT_TRUE(torch::all(w.at("predictor.net.0.weight") == 0.5).item<bool>());
}

TEST(Checkpoint, FindAndResumeAcceptACheckpointItsRootOrItsRunDir) {
  const auto dir = fixtures::scratch("ckpt_find");
  auto cfg = fixtures::small_config(dir, fixtures::synthetic_corpus(dir));
  train::Trainer t(cfg);
  run_steps(t, 2);
  const auto saved = t.save();
  const auto run = fs::path(cfg.run.dir), root = run / "checkpoints";
  EXPECT_EQ(train::find_checkpoint(saved), saved);
  EXPECT_EQ(train::find_checkpoint(root.string()), saved);
  EXPECT_EQ(train::find_checkpoint(run.string()), saved);
  EXPECT_EQ(train::resolve_resume("auto", root.string()), saved);
  EXPECT_EQ(train::resolve_resume(run.string(), root.string()), saved);
  EXPECT_EQ(train::resolve_resume(root.string(), root.string()), saved);
  EXPECT_EQ(train::resolve_resume(saved, root.string()), saved);
  EXPECT_EQ(train::resolve_resume("none", root.string()), std::nullopt);
  EXPECT_EQ(train::resolve_resume("auto", (dir / "elsewhere").string()), std::nullopt);

  auto expect_error = [](const std::function<void()>& f, const std::string& part) {
    try {
      f();
      FAIL() << "no error, expected: " << part;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error([&] { train::find_checkpoint((dir / "missing").string()); }, "does not exist");
  expect_error([&] { train::find_checkpoint(cfg.data.path); }, "is not a directory");
  expect_error([&] { train::find_checkpoint(dir.string()); }, "has no model.safetensors and no `latest` pointer");
  expect_error([&] { train::resolve_resume((dir / "missing").string(), root.string()); }, "does not exist");
  std::ofstream(root / "latest", std::ios::trunc) << "step_9999999\n";
  expect_error([&] { train::find_checkpoint(run.string()); }, "names missing directory 'step_9999999'");
}

// optimizer.pt carries the hyper-parameters it was written with; on resume the configured ones win (and the
// state lands on the parameters' device).
TEST(Checkpoint, ResumeKeepsTheConfiguredOptimizerHyperparameters) {
  const auto dir = fixtures::scratch("ckpt_hparams");
  auto cfg = fixtures::small_config(dir, fixtures::synthetic_corpus(dir, 40));
  cfg.optim.weight_decay = 0.01;
  cfg.optim.beta2 = 0.999;
  {
    train::Trainer t(cfg);
    run_steps(t, 2);
    t.save();
  }
  cfg.train.resume = "auto";
  cfg.optim.weight_decay = 0.2;
  cfg.optim.beta2 = 0.99;
  train::Trainer t(cfg);
  ASSERT_EQ(t.state().step, 2);
  for (auto& g : t.optimizer().param_groups()) {
    const auto& o = static_cast<torch::optim::AdamWOptions&>(g.options());
    EXPECT_EQ(o.weight_decay(), 0.2);
    EXPECT_EQ(std::get<1>(o.betas()), 0.99);
    for (const auto& p : g.params()) {
      const auto& st = static_cast<torch::optim::AdamWParamState&>(*t.optimizer().state().at(p.unsafeGetTensorImpl()));
      EXPECT_EQ(st.step(), 2);
      EXPECT_EQ(st.exp_avg().device(), p.device());
      EXPECT_EQ(st.exp_avg_sq().device(), p.device());
    }
  }
}

TEST(Optimizer, KeepConfiguredHyperparametersNamesEachDifference) {
  auto w = torch::zeros({2}, torch::requires_grad());
  torch::optim::AdamW opt({w}, torch::optim::AdamWOptions(1e-3).weight_decay(0.01).eps(1e-8));
  const auto lines = train::keep_configured_hyperparameters(opt, {torch::optim::AdamWOptions(1e-3).weight_decay(0.1).eps(1e-8)});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("optim.weight_decay: checkpoint 0.010000, config 0.100000"), std::string::npos) << lines[0];
  EXPECT_EQ(static_cast<torch::optim::AdamWOptions&>(opt.param_groups()[0].options()).weight_decay(), 0.1);
}

// A `latest` that does not hold a directory name is an error naming the file (whitespace used to resolve to the
// checkpoints root itself).
TEST(Checkpoint, GarbageInLatestIsAnErrorNamingTheFile) {
  const auto dir = fixtures::scratch("ckpt_latest_garbage");
  const auto root = dir / "checkpoints";
  std::filesystem::create_directories(root / "step_0000002");
  for (const std::string content : {std::string("  \n"), std::string(""), std::string("../elsewhere\n"),
                                    std::string(".."), std::string("step_0000002 step_0000003\n")}) {
    std::ofstream(root / "latest", std::ios::trunc) << content;
    try {
      train::latest_checkpoint(root.string());
      ADD_FAILURE() << "accepted latest = '" << content << "'";
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find((root / "latest").string()), std::string::npos) << msg;
      EXPECT_NE(msg.find("does not name a checkpoint directory"), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
    }
  }
  std::ofstream(root / "latest", std::ios::trunc) << "step_0000002\n";
  EXPECT_EQ(train::latest_checkpoint(root.string()), (root / "step_0000002").string());
}

// The temporary directory a crashed writer left behind is removed at the next start (and the run starts fresh:
// `latest` never pointed at it).
TEST(Checkpoint, StaleTemporaryDirectoriesAreRemovedAtStart) {
  const auto dir = fixtures::scratch("ckpt_stale_tmp");
  auto cfg = fixtures::small_config(dir, fixtures::synthetic_corpus(dir, 40));
  const auto stale = std::filesystem::path(cfg.run.dir) / "checkpoints" / "step_0000004.tmp.424242";
  std::filesystem::create_directories(stale);
  std::ofstream(stale / "optimizer.pt") << std::string(1000, 'x');
  const auto keep = std::filesystem::path(cfg.run.dir) / "checkpoints" / "notes.txt";  // not ours: left alone
  std::ofstream(keep) << "x";
  train::Trainer t(cfg);
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(keep));
  EXPECT_EQ(t.state().step, 0);
}
