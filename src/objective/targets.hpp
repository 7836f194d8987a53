#pragma once
// Targets (design.md §1.4): what the predictor regresses onto, built from the target encoder's view of the
// unmasked sequence. Chosen by jepa.targets; `last_layer` is the reference's (the last hidden state). Called
// without gradients by the objective. Adding a kind (e.g. data2vec's mean of the top-K layer-normalised layers)
// means a class here and a line in make_targets, using Encoder::forward's per-layer outputs.
#include <memory>
#include <string>

#include <torch/torch.h>

#include "model/encoder.hpp"

namespace jepa::objective {

class Targets {
 public:
  virtual ~Targets() = default;
  // ids, attention_mask [B, L] -> targets [B, L, D].
  virtual torch::Tensor build(model::Encoder& target_encoder, const torch::Tensor& ids,
                              const torch::Tensor& attention_mask) = 0;
};

// jepa.targets: last_layer. Anything else is an error naming the supported kinds.
std::unique_ptr<Targets> make_targets(const std::string& kind);

}  // namespace jepa::objective
