#pragma once
// The encoder interface shared by the context and target encoders: ids + attention mask -> last hidden state.
#include <memory>

#include <torch/nn/module.h>

#include "config/config.hpp"

namespace jepa::model {

class Encoder : public torch::nn::Module {
 public:
  // ids, attention_mask: [B, L] int64 (mask 1 = real token). Returns [B, L, dim].
  virtual torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& attention_mask) = 0;
  virtual int64_t dim() const = 0;
};
using EncoderPtr = std::shared_ptr<Encoder>;

// Builds the encoder named by cfg.name ("tiny" for now) with a vocabulary of `vocab_size` ids.
EncoderPtr make_encoder(const config::ModelConfig& cfg, int64_t vocab_size);

}  // namespace jepa::model
