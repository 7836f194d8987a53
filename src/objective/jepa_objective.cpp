#include "objective/jepa_objective.hpp"

namespace jepa::objective {

std::pair<torch::Tensor, int64_t> masked_cosine_sum(const torch::Tensor& pred, const torch::Tensor& target,
                                                    const torch::Tensor& mask) {
  // Cosines in fp32 even when the encoders ran under bf16 autocast.
  if (pred.scalar_type() != torch::kFloat)
    return masked_cosine_sum(pred.to(torch::kFloat), target.to(torch::kFloat), mask);
  const auto D = pred.size(-1);
  auto idx = mask.reshape({-1}).nonzero().squeeze(1);
  if (idx.numel() == 0) return {pred.sum() * 0.0, 0};
  namespace F = torch::nn::functional;
  auto p = F::normalize(pred.reshape({-1, D}).index_select(0, idx), F::NormalizeFuncOptions().dim(-1).eps(1e-12));
  auto t = F::normalize(target.reshape({-1, D}).index_select(0, idx), F::NormalizeFuncOptions().dim(-1).eps(1e-12));
  return {(1.0 - (p * t).sum(-1)).sum(), idx.numel()};
}

torch::Tensor masked_cosine_loss(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& mask) {
  auto [sum, count] = masked_cosine_sum(pred, target, mask);
  return count > 0 ? sum / static_cast<double>(count) : sum;
}

JepaObjective::JepaObjective(const config::JepaConfig& cfg) : targets_(make_targets(cfg.targets)) {}

Output JepaObjective::compute(model::JepaImpl& model, const data::Batch& b) {
  auto pred = model.predictor(model.context_encoder->forward(b.masked_input_ids, b.attention_mask));
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    target = targets_->build(*model.target_encoder, b.input_ids, b.attention_mask);
  }
  auto [sum, count] = masked_cosine_sum(pred, target, b.pred_mask);
  Output out;
  out.terms.push_back({"jepa", sum, count});
  return out;
}

}  // namespace jepa::objective
