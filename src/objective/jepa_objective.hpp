#pragma once
// The reference's objective (design.md §1.4): context view -> context encoder -> predictor; full view -> target
// encoder (no gradient) -> targets (targets.hpp); one term "jepa" = Σ over masked positions of a distance between
// prediction and target, jepa.loss:
//   cosine     1 - cos(p, t)                                   (the reference; normalize eps 1e-12)
//   mse        mean over the D features of (p - t)^2
//   smooth_l1  mean over the D features of smooth_l1(p - t), β = 1 (0.5 x² below 1, |x| - 0.5 above)
// Distances are computed in fp32 even when the encoders ran under bf16 autocast. With jepa.vc_weight > 0, two more
// terms, each weighted vc_weight: VICReg's variance and covariance of the predictions at the masked positions of
// the whole global batch (vicreg.hpp).
#include <memory>
#include <string>
#include <utility>

#include "objective/objective.hpp"
#include "objective/targets.hpp"

namespace jepa::objective {

// Σ over the rows of p and t [N, D] of the `loss` distance; N = 0 gives 0 with a graph (never NaN).
torch::Tensor distance_sum(const torch::Tensor& p, const torch::Tensor& t, const std::string& loss);
// Σ over the positions `index` (flat indices into pred/target's leading dims, Batch::masked_index) of the `loss`
// distance between pred and target [.., D]. The index is made on the host, so nothing waits for the device; an
// empty index gives 0 with a graph (never NaN).
torch::Tensor masked_distance_sum(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& index,
                                  const std::string& loss);
// The cosine form, with the number of masked positions (read from `mask`: for tests and tools, not the step).
std::pair<torch::Tensor, int64_t> masked_cosine_sum(const torch::Tensor& pred, const torch::Tensor& target,
                                                    const torch::Tensor& mask);
// The mean of the cosine distance (0 when nothing is masked): the reference's loss on one batch.
torch::Tensor masked_cosine_loss(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& mask);

class JepaObjective : public Objective {
 public:
  explicit JepaObjective(const config::JepaConfig& cfg);
  Output compute(model::JepaImpl& model, const data::Batch& batch) override;
  std::optional<std::vector<int64_t>> term_counts(const data::Batch& batch) const override;
  std::optional<torch::Tensor> context_ids(const data::Batch& batch) const override { return batch.masked_input_ids; }
  bool names_context_ids() const override { return true; }

 private:
  std::unique_ptr<Targets> targets_;
  std::string loss_;
  double vc_weight_, var_target_;
};

}  // namespace jepa::objective
