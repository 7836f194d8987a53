#pragma once
// Checkpoints: run.dir/checkpoints/step_XXXXXXX/{model.safetensors, optimizer.pt, rng_state.safetensors,
// trainer_state.json, config.yaml}. Written into a temp dir, fsynced and renamed; `latest` (a one-line file naming
// the directory) is replaced last, so a crash at any point leaves the previous checkpoint intact and pointed to.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <torch/optim/optimizer.h>

#include "model/jepa.hpp"

namespace jepa::train {

struct TrainerState {
  int64_t step = 0;              // optimizer steps done
  int64_t consumed_samples = 0;  // global samples consumed (the data cursor)
  int64_t global_batch = 0;
  int64_t world_size = 1;
  double window_loss_sum = 0;    // partial logging window, so resumed logs equal uninterrupted ones
  int64_t window_steps = 0;
  int64_t window_tokens = 0;
  int64_t window_positions = 0;  // token positions incl. padding (metrics.jsonl padded_tokens)
  // The sampler's epoch order: 2 = KeyedPermutation (design.md §3); checkpoints written before it have none and
  // read as 1 (a Fisher-Yates shuffle): resuming one mid-epoch changes the rest of that epoch's order.
  int64_t data_order = kDataOrder;
  static constexpr int64_t kDataOrder = 2;
};

std::string checkpoint_name(int64_t step);

// Writes a checkpoint for state.step under `root` and prunes all but the newest `keep`. Returns its directory.
// `rng` holds the generator states to restore (key "cpu" = rank 0, "cpu.rank<N>" = other ranks).
std::string save_checkpoint(const std::string& root, const model::JepaImpl& model, torch::optim::Optimizer& optimizer,
                            const TrainerState& state, const std::string& config_yaml, int64_t keep,
                            const std::map<std::string, torch::Tensor>& rng);

// Removes the temporary directories (step_*.tmp.<pid>) a writer that crashed mid-checkpoint left under `root`; returns
// what it removed (rank 0 calls it at start-up, before deciding what to resume from).
std::vector<std::string> remove_stale_temporaries(const std::string& root);

// The directory `latest` points to under `root`, if any. A `latest` that does not hold one directory name (empty,
// whitespace, a path) is an error naming the file.
std::optional<std::string> latest_checkpoint(const std::string& root);

// A checkpoint named the ways users name one: a checkpoint dir (holding model.safetensors), a checkpoints/ root
// holding `latest`, or a run dir holding checkpoints/latest. Anything else is an error naming `path`.
std::string find_checkpoint(const std::string& path);

// train.resume: "none" -> nullopt; "auto" -> latest under root (nullopt if none); a checkpoints/ root or run dir
// holding `latest` -> the checkpoint it names (find_checkpoint); any other existing path -> itself (load_checkpoint
// then names what is missing). A path that does not exist is an error.
std::optional<std::string> resolve_resume(const std::string& resume, const std::string& root);

// Moves each parameter's AdamW state (exp_avg, exp_avg_sq) onto that parameter's device.
void place_optimizer_state(torch::optim::Optimizer& optimizer);

// Restores weights and optimizer (its state on the parameters' devices), hands back the saved generator states;
// returns the trainer state.
// Errors name the checkpoint and the problem.
TrainerState load_checkpoint(const std::string& dir, model::JepaImpl& model, torch::optim::Optimizer& optimizer,
                             std::map<std::string, torch::Tensor>* rng);

}  // namespace jepa::train
