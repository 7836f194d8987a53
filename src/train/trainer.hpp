#pragma once
// The training loop (design.md §1 "Step"): batch -> forward -> loss -> backward -> clip -> AdamW -> EMA -> log/ckpt.
#include <memory>
#include <optional>
#include <string>

#include <torch/torch.h>

#include "config/config.hpp"
#include "data/batch.hpp"
#include "model/jepa.hpp"
#include "train/checkpoint.hpp"

namespace jepa::train {

struct StepStats {
  double loss = 0;
  double grad_norm = 0;  // before clipping
  double lr = 0;
  double ema_m = 0;
  int64_t tokens = 0;
};

class Trainer {
 public:
  // Builds corpus reader, sampler, model and optimizer; restores a checkpoint if train.resume asks for one.
  explicit Trainer(config::Config cfg);
  ~Trainer();

  // Runs to train.steps: creates run.dir (config.yaml, train.log, metrics.jsonl), logs, checkpoints.
  void fit();

  // Building blocks, public for golden tests: the batch of global step `step`, and one optimizer step on it.
  data::Batch batch(int64_t step) const;
  StepStats step(const data::Batch& batch);

  model::Jepa& model() { return *model_; }
  torch::optim::Optimizer& optimizer() { return *optimizer_; }
  const TrainerState& state() const { return state_; }
  const torch::Device& device() const { return device_; }
  const std::optional<std::string>& resumed_from() const { return resumed_from_; }
  std::string checkpoint_root() const;
  std::string save();

 private:
  config::Config cfg_;
  std::string config_yaml_;
  torch::Device device_;
  std::shared_ptr<const data::CorpusReader> corpus_;
  std::unique_ptr<data::Loader> loader_;
  std::unique_ptr<model::Jepa> model_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  TrainerState state_;
  std::optional<std::string> resumed_from_;
};

// device string (auto|cpu|cuda|cuda:N) -> device; "cuda" without a GPU is an error.
torch::Device pick_device(const std::string& name);
// Intra-op threads: `requested`, or the cores divided among the ranks on this node.
int choose_threads(int64_t requested, int local_ranks);

}  // namespace jepa::train
