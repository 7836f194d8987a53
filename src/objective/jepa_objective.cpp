#include "objective/jepa_objective.hpp"

#include <stdexcept>

#include "objective/vicreg.hpp"

namespace jepa::objective {

torch::Tensor distance_sum(const torch::Tensor& p, const torch::Tensor& t, const std::string& loss) {
  if (p.scalar_type() != torch::kFloat || t.scalar_type() != torch::kFloat)
    return distance_sum(p.to(torch::kFloat), t.to(torch::kFloat), loss);
  if (p.size(0) == 0) return p.sum() * 0.0;
  torch::Tensor dist;
  if (loss == "cosine") {
    namespace F = torch::nn::functional;
    const auto opts = F::NormalizeFuncOptions().dim(-1).eps(1e-12);
    dist = 1.0 - (F::normalize(p, opts) * F::normalize(t, opts)).sum(-1);
  } else if (loss == "mse") {
    dist = (p - t).pow(2).mean(-1);
  } else if (loss == "smooth_l1") {
    dist = torch::smooth_l1_loss(p, t, at::Reduction::None, /*beta=*/1.0).mean(-1);
  } else {
    throw std::runtime_error("jepa.loss '" + loss + "' is not one of cosine, mse, smooth_l1");
  }
  return dist.sum();
}

torch::Tensor masked_distance_sum(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& index,
                                  const std::string& loss) {
  const auto D = pred.size(-1);
  return distance_sum(pred.reshape({-1, D}).index_select(0, index), target.reshape({-1, D}).index_select(0, index), loss);
}

std::pair<torch::Tensor, int64_t> masked_cosine_sum(const torch::Tensor& pred, const torch::Tensor& target,
                                                    const torch::Tensor& mask) {
  const auto index = mask.reshape({-1}).nonzero().squeeze(1);
  return {masked_distance_sum(pred, target, index, "cosine"), index.numel()};
}

torch::Tensor masked_cosine_loss(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& mask) {
  auto [sum, count] = masked_cosine_sum(pred, target, mask);
  return count > 0 ? sum / static_cast<double>(count) : sum;
}

JepaObjective::JepaObjective(const config::JepaConfig& cfg)
    : targets_(make_targets(cfg)), loss_(cfg.loss), vc_weight_(cfg.vc_weight), var_target_(cfg.var_target) {
  if (loss_ != "cosine" && loss_ != "mse" && loss_ != "smooth_l1")
    throw std::runtime_error("jepa.loss '" + loss_ + "' is not one of cosine, mse, smooth_l1");
}

std::optional<std::vector<int64_t>> JepaObjective::term_counts(const data::Batch& b) const {
  std::vector<int64_t> counts{b.masked};
  if (vc_weight_ > 0) counts.insert(counts.end(), 2, once_count(collectives()));  // the two once_terms
  return counts;
}

Output JepaObjective::compute(model::JepaImpl& model, const data::Batch& b) {
  if (!model.target_encoder)
    throw std::runtime_error("train.objective=jepa needs an encoder with an EMA target; model.name=llama is a decoder: "
                             "use train.objective=llm_jepa");
  const auto hidden = model.context_encoder->forward(b.masked_input_ids, b.attention_mask);
  const auto D = hidden.size(-1);
  // The predictor acts on each position alone and only masked positions enter the terms, so it runs on those rows
  // only: the same values and gradients for a fraction of its work (design.md §1.4).
  const auto pred = model.predictor(hidden.reshape({-1, D}).index_select(0, b.masked_index));
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    target = targets_->build(*model.target_encoder, b.input_ids, b.attention_mask);
    target = target.reshape({-1, target.size(-1)}).index_select(0, b.masked_index);
  }
  Output out;
  out.terms.push_back({"jepa", distance_sum(pred, target, loss_), b.masked});
  if (vc_weight_ > 0) {  // VICReg on the predictions at the masked positions of the global batch
    const auto vc = variance_covariance(pred, collectives(), var_target_);
    out.terms.push_back(once_term(collectives(), "variance", vc.variance, vc_weight_));
    out.terms.push_back(once_term(collectives(), "covariance", vc.covariance, vc_weight_));
  }
  return out;
}

}  // namespace jepa::objective
