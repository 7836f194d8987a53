#pragma once
// The training loop (design.md §1 "Step"): batch -> forward -> loss -> backward -> all-reduce -> clip -> AdamW -> EMA
// -> log/checkpoint. One Trainer per rank; with world size 1 it is the plain single-process trainer.
#include <memory>
#include <optional>
#include <string>

#include <torch/torch.h>

#include "config/config.hpp"
#include "data/batch.hpp"
#include "dist/communicator.hpp"
#include "dist/control.hpp"
#include "dist/reducer.hpp"
#include "model/jepa.hpp"
#include "train/checkpoint.hpp"
#include "train/optimizer.hpp"

namespace jepa::train {

struct StepStats {
  double loss = 0;       // global (all ranks) mean over masked positions
  double grad_norm = 0;  // before clipping
  double lr = 0;
  double ema_m = 0;
  int64_t tokens = 0;    // global real tokens
};

// Test-only fault injection parsed from dist.fault: `kind` at global step `step` on rank `rank`.
struct Fault {
  std::string kind = "none";
  int rank = -1;
  int64_t step = -1;
};

class Trainer {
 public:
  // Builds corpus reader, sampler, model and optimizer; broadcasts rank 0's initial weights; restores a checkpoint
  // if train.resume asks for one. `control` == nullptr: single process.
  explicit Trainer(config::Config cfg, dist::Control* control = nullptr);
  ~Trainer();

  // Runs to train.steps (or until a stop signal): run.dir gets config.yaml, train.log, metrics.jsonl, checkpoints.
  // Returns the last step done.
  int64_t fit();

  // Building blocks, public for golden tests: the batch of global step `step`, and one optimizer step on it.
  data::Batch batch(int64_t step) const;
  StepStats step(const data::Batch& batch);

  model::Jepa& model() { return *model_; }
  torch::optim::Optimizer& optimizer() { return *optimizer_; }
  const TrainerState& state() const { return state_; }
  const torch::Device& device() const { return device_; }
  const std::optional<std::string>& resumed_from() const { return resumed_from_; }
  const dist::GradReducer* reducer() const { return reducer_.get(); }
  std::string checkpoint_root() const;
  // Rank 0 writes, every rank waits; returns the checkpoint dir.
  std::string save();
  // Compares checksums of every weight across ranks; aborts the job naming the tensor and ranks on mismatch.
  void check_sync();

 private:
  void apply_fault();

  config::Config cfg_;
  std::string config_yaml_;
  std::unique_ptr<dist::Control> own_control_;
  dist::Control* control_;
  torch::Device device_;
  std::unique_ptr<dist::Communicator> comm_;
  std::unique_ptr<dist::GradReducer> reducer_;
  std::shared_ptr<const data::CorpusReader> corpus_;
  std::unique_ptr<data::Loader> loader_;
  std::unique_ptr<model::Jepa> model_;
  std::unique_ptr<FusedAdamW> optimizer_;
  TrainerState state_;
  std::optional<std::string> resumed_from_;
  Fault fault_;
};

// device string (auto|cpu|cuda|cuda:N) -> device; auto/cuda pick GPU local_rank % GPUs. "cuda" without a GPU is an error.
torch::Device pick_device(const std::string& name, int local_rank = 0);
// Intra-op threads: `requested`, or the cores divided among the ranks on this node.
int choose_threads(int64_t requested, int local_ranks);
// SIGTERM / SIGUSR1 ask for a checkpoint and a clean exit at the next step boundary.
void install_stop_signals();
bool stop_requested();

}  // namespace jepa::train
