#pragma once
// The JEPA module: a trained context encoder + predictor, and a target encoder that only follows by EMA.
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "config/config.hpp"
#include "model/encoder.hpp"
#include "model/predictor.hpp"

namespace jepa::model {

// Mean over masked positions of 1 - cos(pred, target); 0 (with a graph, never NaN) when nothing is masked.
// With denominator > 0 the sum is divided by it instead: ranks then each contribute sum/N_global, and summing
// their gradients gives exactly the single-process gradient of the global batch.
torch::Tensor masked_cosine_loss(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& mask,
                                 double denominator = 0);

class Jepa {
 public:
  Jepa(const config::ModelConfig& model, const config::JepaConfig& jepa, int64_t vocab_size);

  // Context view -> context encoder -> predictor, full view -> target encoder (no grad); masked cosine loss.
  torch::Tensor loss(const torch::Tensor& masked_ids, const torch::Tensor& ids, const torch::Tensor& attention_mask,
                     const torch::Tensor& pred_mask, double denominator = 0);
  // target <- m * target + (1 - m) * context, for every parameter (fused multi-tensor ops).
  void ema_update(double m);
  // Copies the context encoder into the target encoder (start of training).
  void sync_target();

  std::vector<torch::Tensor> trainable_parameters() const;
  // All weights with prefixes context_encoder. / target_encoder. / predictor. (the checkpoint layout).
  std::map<std::string, torch::Tensor> state() const;
  // Loads `state()`-shaped weights; a missing, unexpected or misshapen tensor is an error naming it.
  void load_state(const std::map<std::string, torch::Tensor>& weights);

  void to(const torch::Device& device);
  void train(bool on);

  EncoderPtr context_encoder, target_encoder;
  Predictor predictor{nullptr};

 private:
  bool target_eval_;
};

}  // namespace jepa::model
