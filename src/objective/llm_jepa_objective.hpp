#pragma once
// LLM-JEPA (Huang, LeCun, Balestriero 2025; design.md §9) on a decoder (model.name=llama) and a paired corpus:
//   loss = gamma · NTP(full example) + lambda · distance(Enc(text ⊕ [PRED] x k), Enc(code))
// Enc(x) = the last layer's (final-norm) hidden state at the view's last token. Both views get gradients: no EMA,
// no stop-gradient (the next-token loss keeps the embeddings from collapsing). Terms:
//   ntp   Σ over labelled positions of cross-entropy (fp32), counted per label: the mean next-token loss
//   jepa  Σ over examples of jepa.distance, counted per example:
//           cosine  1 - cos(t, c)       mse  mean over D of (t - c)²       l2  ||t - c||₂
//         infonce: cross-entropy of cos(t_i, c_j) / jepa.infonce_temperature over the codes c_j of the whole
//         global batch (every rank's), the matching code the label; one value per global batch (once_term).
// jepa.loss_dropout = p: a step skips the view rows with probability p, drawn from (train.seed, step) so every rank
// and a resumed run draw alike; the jepa term is then 0 with count 0. jepa.lambda = 0 never builds the views.
#include "objective/objective.hpp"

namespace jepa::objective {

// Σ over the rows of t and c [N, D] of `distance` (cosine | mse | l2), in fp32.
torch::Tensor pair_distance_sum(const torch::Tensor& t, const torch::Tensor& c, const std::string& distance);

class LlmJepaObjective : public Objective {
 public:
  explicit LlmJepaObjective(const config::Config& cfg);
  Output compute(model::JepaImpl& model, const data::Batch& batch) override;
  std::optional<std::vector<int64_t>> term_counts(const data::Batch& batch) const override;
  // Whether this batch's step skips the view rows (jepa.loss_dropout).
  bool drops_views(const data::Batch& batch) const;
  // The paired loader's parameters this objective needs (k, packing, whether to build the views at all).
  bool wants_views() const { return lambda_ > 0; }

 private:
  double lambda_, gamma_, temperature_, dropout_;
  std::string distance_;
  uint64_t seed_;
};

}  // namespace jepa::objective
