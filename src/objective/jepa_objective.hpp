#pragma once
// The reference's objective (design.md §1.4): context view -> context encoder -> predictor; full view -> target
// encoder (no gradient) -> targets; one term "jepa" = Σ over masked positions of 1 - cos(prediction, target).
#include <memory>

#include "objective/objective.hpp"
#include "objective/targets.hpp"

namespace jepa::objective {

// Σ over positions where mask is set of 1 - cos(pred, target) (normalize eps 1e-12, computed in fp32), and how
// many positions that is. Nothing masked: sum = 0 with a graph (never NaN), count 0.
std::pair<torch::Tensor, int64_t> masked_cosine_sum(const torch::Tensor& pred, const torch::Tensor& target,
                                                    const torch::Tensor& mask);
// The mean of the same (0 when nothing is masked): the reference's loss on one batch.
torch::Tensor masked_cosine_loss(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& mask);

class JepaObjective : public Objective {
 public:
  explicit JepaObjective(const config::JepaConfig& cfg);
  Output compute(model::JepaImpl& model, const data::Batch& batch) override;

 private:
  std::unique_ptr<Targets> targets_;
};

}  // namespace jepa::objective
