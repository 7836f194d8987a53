#pragma once
// Targets (design.md §1.4): what the predictor regresses onto, built from the target encoder's view of the
// unmasked sequence, without gradients. jepa.target_layers = K and jepa.target_norm choose them:
//   K = 1, none       the reference: the last hidden state, as is
//   K > 1 or a norm   data2vec: the mean of the top K layer outputs, each normalised first —
//                     layer    over the D features of each position (LayerNorm without affine, eps 1e-5)
//                     instance per sequence and feature over its real (attention_mask = 1) positions (eps 1e-5):
//                              padding is excluded, so targets do not depend on how a batch was padded
// Normalised targets are computed in fp32.
#include <memory>
#include <string>

#include <torch/torch.h>

#include "config/config.hpp"
#include "model/encoder.hpp"

namespace jepa::objective {

class Targets {
 public:
  virtual ~Targets() = default;
  // ids, attention_mask [B, L] -> targets [B, L, D].
  virtual torch::Tensor build(model::Encoder& target_encoder, const torch::Tensor& ids,
                              const torch::Tensor& attention_mask) = 0;
};

// From jepa.target_layers / jepa.target_norm (validated by the config; K larger than the encoder's depth is an error
// when targets are first built).
std::unique_ptr<Targets> make_targets(const config::JepaConfig& cfg);

// One layer output [B, L, D] normalised as `norm` (none | layer | instance) says; mask [B, L] (1 = real token).
torch::Tensor normalize_layer(const torch::Tensor& h, const torch::Tensor& attention_mask, const std::string& norm);

}  // namespace jepa::objective
