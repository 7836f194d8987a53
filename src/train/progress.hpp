#pragma once
// What a step reports, and how a logging window becomes the console line, the collapse-monitor warnings and a
// metrics.jsonl record (design.md §1.5). Kept out of the trainer so the loop reads top-down.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <torch/torch.h>

#include "config/config.hpp"
#include "data/batch.hpp"
#include "model/jepa.hpp"
#include "train/collapse.hpp"
#include "train/heldout.hpp"
#include "train/metrics.hpp"

namespace jepa::train {

struct StepStats {
  // Read back by Trainer::settle() (the step itself leaves them on the device, so it never waits for it):
  double loss = 0;       // global (all ranks) objective: Σ_terms weight · mean over the global batch
  double grad_norm = 0;  // before clipping
  std::map<std::string, double> term_losses;  // global mean of each term, when the objective has several
  int64_t tokens = 0;    // real tokens: this rank's until settled, then all ranks'
  int64_t positions = 0; // this rank's token positions, padding included (B x L of each micro-batch)
  // On the device: this rank's share of the loss (double), the global gradient norm, each term's share.
  torch::Tensor loss_t, grad_norm_t;
  std::map<std::string, torch::Tensor> term_t;
  double lr = 0;
  double ema_m = 0;
  std::map<std::string, double> metrics;      // the objective's metrics on this rank (rank 0's reach metrics.jsonl)
};

// One logging window: the steps since the last log line.
struct Window {
  int64_t step = 0, steps = 0;  // last step done, train.steps
  int64_t epoch = 0;            // epoch of the last step
  double mean_loss = 0;         // over the window's steps
  int64_t window_steps = 0, tokens = 0;
  int64_t positions = 0;        // token positions incl. padding, all ranks, since this process's last log line
  std::map<std::string, double> profile;  // train.profile: "time_<phase>" -> mean seconds per step (rank 0)
  double seconds = 0;           // training time of the window (logging excluded)
  double elapsed = 0, eta = 0;  // since start, to train.steps
};

// Collapse monitor: the target encoder (eval mode, no grad; weights after this step's EMA) on the original view of
// this rank's batch, mean-pooled over real tokens. Draws no random numbers, so logging does not change training.
// nullopt for a batch of fewer than 2 rows.
std::optional<CollapseStats> target_collapse_stats(model::JepaImpl& model, const data::Batch& batch,
                                                   const torch::Device& device);

// Writes the log line on this rank and, when `metrics` is set (rank 0), the JSONL record; `emb` are the stats of this
// rank's batch, `heldout` those of the held-out set when it was evaluated at this step (then eval_* fields). The
// collapse monitor checks the held-out stats when there are any, else the batch's, and warns for each threshold
// crossed; returns the first such warning ("" when none).
std::string log_window(const Window& w, const StepStats& last, const std::optional<CollapseStats>& emb,
                       const std::optional<HeldoutStats>& heldout, const config::MonitorConfig& monitor,
                       MetricsLog* metrics);

}  // namespace jepa::train
