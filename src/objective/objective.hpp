#pragma once
// The Objective seam (design.md §1.4, §8): what one training step computes from the model and a batch. An
// objective returns this rank's loss terms as (sum, count) pairs plus named metrics; the trainer owns everything
// after that: normalising each term by its count summed over all ranks (so N ranks x B equals 1 rank x N*B),
// backward, clipping, the optimizer, EMA and logging. Adding an objective never edits src/train/: implement
// Objective in its own file and register a factory under a name that `train.objective` selects.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "config/config.hpp"
#include "data/batch.hpp"
#include "model/jepa.hpp"

namespace jepa::objective {

// One loss term on this rank. The trainer minimises Σ_terms weight · sum / (count summed over ranks).
struct Term {
  std::string name;     // logged as loss/<name> when an objective has several terms
  torch::Tensor sum;    // scalar: Σ of per-item losses on this rank, with its graph
  int64_t count = 0;    // items in `sum` on this rank (masked positions, tokens, examples)
  double weight = 1.0;
};

struct Output {
  std::vector<Term> terms;
  std::map<std::string, double> metrics;  // this rank's scalars, logged as they are (rank 0's go to metrics.jsonl)
};

// What an objective may ask of the other ranks, for terms that are not a sum over items (e.g. a covariance over the
// global batch). `sum` returns a new tensor: the element-wise sum of `t` over all ranks, without autograd. The
// default is one process (the identity); the trainer binds its communicator when there are several.
struct Collectives {
  int rank = 0;
  int size = 1;
  std::function<torch::Tensor(const torch::Tensor&)> sum = [](const torch::Tensor& t) { return t.detach().clone(); };
};

class Objective {
 public:
  virtual ~Objective() = default;
  // `batch` is on the model's device; the caller has set train/eval mode and autocast.
  virtual Output compute(model::JepaImpl& model, const data::Batch& batch) = 0;
  // The counts compute() will return for `batch`, known before the forward (e.g. masked positions), or nothing.
  // Gradient accumulation (train.grad_accum > 1) needs them: every micro-batch's loss is divided by the counts of
  // the whole global batch before its backward, which is what makes K micro-batches equal one batch of K·B.
  virtual std::optional<std::vector<int64_t>> term_counts(const data::Batch& batch) const { return std::nullopt; }
  // The host ids compute() embeds with the context encoder's token embedding, which then has a zero gradient outside
  // them (the sparse all-reduce of dist.sparse_embedding); nothing if the objective cannot tell before the forward
  // or the gradient reaches other rows (e.g. a tied output head), and the embedding is reduced densely.
  virtual std::optional<torch::Tensor> context_ids(const data::Batch& batch) const { return std::nullopt; }
  // Whether context_ids() names them for every batch (asked once, when the reducer is built).
  virtual bool names_context_ids() const { return false; }
  void bind(Collectives c);

 protected:
  const Collectives& collectives() const { return collectives_; }

 private:
  Collectives collectives_;
};

// `local` summed over ranks, with the gradient of this rank's own contribution: its value is the global sum on every
// rank, and since the trainer sums gradients over ranks, a loss f(global) built from it gets exactly ∇f.
torch::Tensor global_sum(const Collectives& c, const torch::Tensor& local);
// A term whose value is computed identically on every rank from global statistics: rank 0 carries its value (count
// 1), the others only its gradient (value 0, count 0), so the summed loss counts it once and the summed gradients
// are its exact gradient.
Term once_term(const Collectives& c, std::string name, const torch::Tensor& value, double weight);
// The count once_term() gives on this rank (for Objective::term_counts).
int64_t once_count(const Collectives& c);

// The loss to minimise: Σ_terms weight · sum / max(1, count), with `counts[k]` the count term k is divided by —
// summed over all ranks in training (so N ranks x B equals 1 rank x N*B), the term's own count on one process.
// `means`, when given, receives each term's unweighted sum / max(1, count).
torch::Tensor combine(const Output& out, const std::vector<int64_t>& counts, std::vector<torch::Tensor>* means = nullptr);
// Each term's count on this rank.
std::vector<int64_t> local_counts(const Output& out);

using Factory = std::function<std::unique_ptr<Objective>(const config::Config& cfg)>;

// Adds an objective under `name` (the value of train.objective). A name already taken is an error.
void register_objective(const std::string& name, Factory factory);
// The objective train.objective names; an unknown name is an error listing the registered ones.
std::unique_ptr<Objective> make_objective(const config::Config& cfg);
// Registered names, sorted (built-ins first registered: jepa).
std::vector<std::string> objective_names();

}  // namespace jepa::objective
