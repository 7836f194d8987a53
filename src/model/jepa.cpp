#include "model/jepa.hpp"

#include <stdexcept>

namespace jepa::model {

torch::Tensor masked_cosine_loss(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& mask,
                                 double denominator) {
  const auto D = pred.size(-1);
  // Cosines in fp32 even when the encoders ran under bf16 autocast.
  if (pred.scalar_type() != torch::kFloat) return masked_cosine_loss(pred.to(torch::kFloat), target.to(torch::kFloat), mask, denominator);
  auto idx = mask.reshape({-1}).nonzero().squeeze(1);
  if (idx.numel() == 0) return pred.sum() * 0.0;
  namespace F = torch::nn::functional;
  auto p = F::normalize(pred.reshape({-1, D}).index_select(0, idx), F::NormalizeFuncOptions().dim(-1).eps(1e-12));
  auto t = F::normalize(target.reshape({-1, D}).index_select(0, idx), F::NormalizeFuncOptions().dim(-1).eps(1e-12));
  auto dist = 1.0 - (p * t).sum(-1);
  return denominator > 0 ? dist.sum() / denominator : dist.mean();
}

Jepa::Jepa(const config::ModelConfig& model, const config::JepaConfig& jepa, int64_t vocab_size)
    : target_eval_(jepa.target_eval) {
  context_encoder = make_encoder(model, vocab_size);
  target_encoder = make_encoder(model, vocab_size);
  predictor = Predictor(context_encoder->dim(), model.pred_hidden_mult, model.pred_dropout);
  for (auto& p : target_encoder->parameters()) p.set_requires_grad(false);
  sync_target();
}

torch::Tensor Jepa::loss(const torch::Tensor& masked_ids, const torch::Tensor& ids, const torch::Tensor& attention_mask,
                         const torch::Tensor& pred_mask, double denominator) {
  auto pred = predictor(context_encoder->forward(masked_ids, attention_mask));
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    target = target_encoder->forward(ids, attention_mask);
  }
  return masked_cosine_loss(pred, target, pred_mask, denominator);
}

void Jepa::ema_update(double m) {
  torch::NoGradGuard no_grad;
  auto tgt = target_encoder->parameters();
  auto ctx = context_encoder->parameters();
  torch::_foreach_mul_(tgt, m);
  torch::_foreach_add_(tgt, ctx, 1.0 - m);
}

void Jepa::sync_target() {
  torch::NoGradGuard no_grad;
  auto tgt = target_encoder->named_parameters();
  for (const auto& p : context_encoder->named_parameters()) tgt[p.key()].copy_(p.value());
}

std::vector<torch::Tensor> Jepa::trainable_parameters() const {
  auto params = context_encoder->parameters();
  for (auto& p : predictor->parameters()) params.push_back(p);
  return params;
}

std::map<std::string, torch::Tensor> Jepa::state() const {
  std::map<std::string, torch::Tensor> out;
  auto add = [&](const std::string& prefix, const torch::nn::Module& m) {
    for (const auto& p : m.named_parameters()) out[prefix + p.key()] = p.value();
    for (const auto& b : m.named_buffers()) out[prefix + b.key()] = b.value();
  };
  add("context_encoder.", *context_encoder);
  add("target_encoder.", *target_encoder);
  add("predictor.", *predictor);
  return out;
}

void Jepa::load_state(const std::map<std::string, torch::Tensor>& weights) {
  torch::NoGradGuard no_grad;
  auto mine = state();
  for (const auto& [name, t] : mine) {
    auto it = weights.find(name);
    if (it == weights.end()) throw std::runtime_error("weights: missing tensor '" + name + "'");
    if (it->second.sizes() != t.sizes())
      throw std::runtime_error("weights: tensor '" + name + "' has shape " + c10::str(it->second.sizes()) +
                               ", model expects " + c10::str(t.sizes()));
    t.copy_(it->second);
  }
  for (const auto& [name, t] : weights)
    if (!mine.count(name)) throw std::runtime_error("weights: unexpected tensor '" + name + "'");
}

void Jepa::to(const torch::Device& device) {
  context_encoder->to(device);
  target_encoder->to(device);
  predictor->to(device);
}

void Jepa::train(bool on) {
  context_encoder->train(on);
  predictor->train(on);
  target_encoder->train(on && !target_eval_);
}

}  // namespace jepa::model
