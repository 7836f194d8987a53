#pragma once
// The JEPA model (design.md §1.3): a trained context encoder + predictor, and a target encoder that only follows
// by EMA. A LibTorch module: parameters, buffers, device moves and train/eval come from torch::nn::Module; what a
// step computes with them is an Objective's business (src/objective/).
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "config/config.hpp"
#include "model/encoder.hpp"
#include "model/predictor.hpp"

namespace jepa::model {

class JepaImpl : public torch::nn::Module {
 public:
  // Builds context encoder, target encoder, predictor in this order (the order random initialisation draws in),
  // then copies the context encoder into the target. A decoder backbone (model.name=llama, LLM-JEPA, design.md §9)
  // is the whole model: it is its own predictor ([PRED] tokens) and has no EMA target, so target_encoder and
  // predictor stay null and ema_update / sync_target do nothing.
  JepaImpl(const config::ModelConfig& model, const config::JepaConfig& jepa, int64_t vocab_size);

  // target <- m * target + (1 - m) * context, for every parameter (one multi-tensor lerp: target + (1-m)(context - target)).
  void ema_update(double m);
  // Copies the context encoder into the target encoder (start of training).
  void sync_target();

  // Parameters with gradients, in registration order: context encoder, then predictor. This order fixes the
  // optimizer state layout (optimizer.pt) and the gradient buckets, so freezing a parameter (requires_grad false)
  // changes both: checkpoints of the other layout no longer load.
  std::vector<torch::Tensor> trainable_parameters() const;
  // All parameters and buffers by name: context_encoder.* / target_encoder.* / predictor.* (the checkpoint layout).
  std::map<std::string, torch::Tensor> state() const;
  // Loads `state()`-shaped weights; a missing, unexpected or misshapen tensor is an error naming it.
  void load_state(const std::map<std::string, torch::Tensor>& weights);

  // train(true) keeps the target encoder in eval mode when jepa.target_eval (no dropout noise in targets).
  void train(bool on = true) override;

  // Whether this is the decoder-only model (no target encoder, no predictor).
  bool is_decoder() const { return !target_encoder; }

  EncoderPtr context_encoder, target_encoder;
  Predictor predictor{nullptr};

 private:
  bool target_eval_;
};
TORCH_MODULE(Jepa);

}  // namespace jepa::model
