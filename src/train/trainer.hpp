#pragma once
// The training loop (design.md §1.5): batch -> objective (forward, loss terms) -> normalise across ranks ->
// backward (buckets all-reduced while it runs) -> clip -> AdamW -> EMA -> log/checkpoint. One Trainer per rank;
// with world size 1 it is the plain single-process trainer. What the loss is belongs to the Objective
// (src/objective/); the trainer never looks inside it.
#include <memory>
#include <optional>
#include <string>

#include <torch/torch.h>

#include "config/config.hpp"
#include "config/fault.hpp"
#include "data/batch.hpp"
#include "distributed/communicator.hpp"
#include "distributed/control.hpp"
#include "distributed/reducer.hpp"
#include "model/jepa.hpp"
#include "objective/objective.hpp"
#include "train/checkpoint.hpp"
#include "train/heldout.hpp"
#include "train/optimizer.hpp"
#include "train/profile.hpp"
#include "train/progress.hpp"
#include "train/runtime.hpp"

namespace jepa::train {

class Trainer {
 public:
  // Builds corpus reader, sampler, model, communicator and optimizer; broadcasts rank 0's initial weights;
  // restores a checkpoint if train.resume asks for one. `control` == nullptr: single process.
  explicit Trainer(config::Config cfg, distributed::Control* control = nullptr);
  ~Trainer();

  // Runs to train.steps (or until a stop signal): run.dir gets config.yaml, train.log, metrics.jsonl, checkpoints.
  // Returns the last step done.
  int64_t fit();

  // Building blocks, public for golden tests: the batch of global step `step`, and one optimizer step on it.
  data::Batch batch(int64_t step) const;
  StepStats step(const data::Batch& batch);

  model::JepaImpl& model() { return *model_; }
  torch::optim::Optimizer& optimizer() { return *optimizer_; }
  const TrainerState& state() const { return state_; }
  const torch::Device& device() const { return device_; }
  const std::optional<std::string>& resumed_from() const { return resumed_from_; }
  const distributed::GradReducer* reducer() const { return reducer_.get(); }
  std::string checkpoint_root() const;
  // Rank 0 writes, every rank waits; returns the checkpoint dir.
  std::string save();
  // Compares checksums of every weight across ranks; aborts the job naming the tensor and ranks on mismatch.
  void check_sync();

 private:
  // Construction, in order.
  void build_data();
  void build_model();
  void build_communicator();
  void build_optimizer();
  void restore();
  // Step pieces.
  double set_learning_rate();
  StepStats run_step(const data::Batch& host_batch);
  void forward_backward(const data::Batch& host_batch, StepStats& s);
  // dist.sparse_embedding: starts the OR over ranks of the context-embedding rows the micro-batches embed; nothing
  // when off or the objective cannot name them (the embedding is then reduced whole).
  std::optional<distributed::Control::PendingSum> start_row_union(const std::vector<data::Batch>& micro);
  void settle(StepStats& s);
  void guard_nonfinite(const torch::Tensor& grad_norm);
  void check_nonfinite(StepStats* s);
  struct WindowTotals {
    double loss = 0;
    int64_t tokens = 0, positions = 0;
  };
  WindowTotals window_totals();
  void apply_fault();
  // Run-directory and start-up log lines of fit().
  std::optional<MetricsLog> open_run_dir();

  config::Config cfg_;
  std::string config_yaml_;
  config::Fault fault_;
  std::unique_ptr<distributed::Control> own_control_;
  distributed::Control* control_;
  torch::Device device_;
  StepProfiler profiler_;  // train.profile
  std::shared_ptr<const data::CorpusReader> corpus_;
  std::unique_ptr<data::Loader> loader_;
  std::unique_ptr<HeldoutEval> heldout_;  // rank 0, when eval.every > 0
  model::Jepa model_{nullptr};
  std::unique_ptr<objective::Objective> objective_;
  std::unique_ptr<distributed::Communicator> comm_;
  std::unique_ptr<distributed::GradReducer> reducer_;
  std::unique_ptr<FusedAdamW> optimizer_;
  TrainerState state_;
  std::optional<std::string> resumed_from_;
  std::vector<std::string> resume_notes_;  // warnings from restore(), logged once the log is open
  torch::Tensor window_loss_;  // this rank's loss shares since the last log line (double, on the device)
  int64_t window_tokens_ = 0;  // this rank's real tokens since the last log line
  int64_t window_positions_ = 0;  // this rank's token positions (padding included) since the last log line
  torch::Tensor nonfinite_, first_nonfinite_;  // device: steps skipped as non-finite, the first one (1-based)
  int64_t reported_nonfinite_ = 0;
};

}  // namespace jepa::train
