#pragma once
// The encoder interface shared by the context and target encoders: ids + attention mask -> last hidden state.
#include <memory>

#include <torch/nn/module.h>

#include "config/config.hpp"

namespace jepa::model {

struct HfConfig;  // model/hf_config.hpp

class Encoder : public torch::nn::Module {
 public:
  // ids, attention_mask: [B, L] int64 (mask 1 = real token). Returns [B, L, dim].
  virtual torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& attention_mask) = 0;
  virtual int64_t dim() const = 0;
  // The transformers architecture (bert / distilbert encoders); nullptr for encoders without one (tiny).
  virtual const HfConfig* hf_config() const { return nullptr; }
};
using EncoderPtr = std::shared_ptr<Encoder>;

// Builds the encoder named by cfg.name with a vocabulary of `vocab_size` ids (the corpus's):
//   tiny              the reference's random smoke encoder (tiny_encoder.hpp)
//   bert, distilbert  random transformers-style encoders (initialised like transformers) at the size of
//                     model.dim/layers/heads/ff_dim/dropout/max_positions
//   <directory>       a local Hugging Face model dir: architecture from its config.json (model_type bert or
//                     distilbert; model.dim etc. are ignored), weights from its model.safetensors when present.
//                     vocab_size must equal config.json's. Models are never downloaded.
// Errors are std::runtime_error with one line naming the problem (hf_config.hpp lists the weight rules).
EncoderPtr make_encoder(const config::ModelConfig& cfg, int64_t vocab_size);

}  // namespace jepa::model
