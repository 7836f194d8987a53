#include "model/jepa.hpp"

#include <stdexcept>

#include "model/llama_decoder.hpp"

namespace jepa::model {

JepaImpl::JepaImpl(const config::ModelConfig& model, const config::JepaConfig& jepa, int64_t vocab_size)
    : target_eval_(jepa.target_eval) {
  context_encoder = register_module("context_encoder", make_encoder(model, vocab_size));
  if (std::dynamic_pointer_cast<LlamaDecoder>(context_encoder)) return;
  target_encoder = register_module("target_encoder", make_encoder(model, vocab_size));
  predictor = register_module("predictor", Predictor(context_encoder->dim(), model.pred_hidden_mult, model.pred_dropout));
  for (auto& p : target_encoder->parameters()) p.set_requires_grad(false);
  sync_target();
}

void JepaImpl::ema_update(double m) {
  if (!target_encoder) return;
  torch::NoGradGuard no_grad;
  auto tgt = target_encoder->parameters();
  auto ctx = context_encoder->parameters();
  // target + (1 - m)(context - target): one pass reading both and writing the target (mul_ + add_ took two).
  torch::_foreach_lerp_(tgt, ctx, 1.0 - m);
}

void JepaImpl::sync_target() {
  if (!target_encoder) return;
  torch::NoGradGuard no_grad;
  auto tgt = target_encoder->named_parameters();
  for (const auto& p : context_encoder->named_parameters()) tgt[p.key()].copy_(p.value());
  auto tgt_buffers = target_encoder->named_buffers();  // e.g. position ids, sinusoidal tables: part of the state too
  for (const auto& b : context_encoder->named_buffers()) tgt_buffers[b.key()].copy_(b.value());
}

std::vector<torch::Tensor> JepaImpl::trainable_parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& p : parameters())
    if (p.requires_grad()) out.push_back(p);
  return out;
}

std::map<std::string, torch::Tensor> JepaImpl::state() const {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : named_parameters()) out[p.key()] = p.value();
  for (const auto& b : named_buffers()) out[b.key()] = b.value();
  return out;
}

void JepaImpl::load_state(const std::map<std::string, torch::Tensor>& weights) {
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

void JepaImpl::train(bool on) {
  torch::nn::Module::train(on);
  if (target_encoder) target_encoder->train(on && !target_eval_);
}

}  // namespace jepa::model
