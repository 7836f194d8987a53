#pragma once
// The encoder interface shared by the context and target encoders: ids + attention mask -> hidden states.
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include "config/config.hpp"

namespace jepa::model {

struct HfConfig;  // model/hf_config.hpp

class Encoder : public torch::nn::Module {
 public:
  // ids, attention_mask: [B, L] int64 (mask 1 = real token). Returns the last layer's output [B, L, dim]; with
  // `layer_outputs`, every layer's output [B, L, dim] is appended to it, first layer first (for targets built
  // from several layers).
  virtual torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& attention_mask,
                                std::vector<torch::Tensor>* layer_outputs = nullptr) = 0;
  virtual int64_t dim() const = 0;
  // The registered list of transformer blocks (model.init=shared copies the first into the others).
  virtual torch::nn::ModuleList layer_list() const = 0;
  // The token-embedding table [vocab, dim]: forward(ids) reads only rows `ids` of it and uses it nowhere else, so
  // its gradient is zero outside those rows (what the sparse all-reduce of dist.sparse_embedding relies on).
  virtual torch::Tensor token_embedding() const = 0;
  // The transformers architecture (bert / distilbert encoders); nullptr for encoders without one (tiny).
  virtual const HfConfig* hf_config() const { return nullptr; }
};
using EncoderPtr = std::shared_ptr<Encoder>;

// Builds the encoder named by cfg.name with a vocabulary of `vocab_size` ids (the corpus's). The names come from
// one table (encoder.cpp):
//   tiny              the reference's random smoke encoder (tiny_encoder.hpp)
//   bert, distilbert  random transformers-style encoders (initialised like transformers) at the size of
//                     model.dim/layers/heads/ff_dim/dropout/max_positions
//   <directory>       a local Hugging Face model dir: architecture from its config.json (its model_type one of
//                     the transformers backbones above; model.dim etc. are ignored), weights from its
//                     model.safetensors when present. vocab_size must equal config.json's. Never downloaded.
// model.init=shared: every layer then starts as a copy of the first (random backbones only).
// Errors are std::runtime_error with one line naming the problem (hf_config.hpp lists the weight rules).
EncoderPtr make_encoder(const config::ModelConfig& cfg, int64_t vocab_size);
// The encoder for a transformers architecture (its model_type), randomly initialised like transformers.
EncoderPtr make_hf_encoder(const HfConfig& cfg);
// Copies layer 0's parameters into every other layer (the reference's nn.TransformerEncoder deep-copies one layer).
void share_layer_init(Encoder& enc);
// Whether `name` is one of the backbones of the table (not a directory).
bool is_backbone(const std::string& name);
// Whether `name` is a backbone with a transformers architecture (bert, distilbert): model.name=<name> builds it
// at the size of model.*, and config.json's model_type may name it.
bool is_hf_backbone(const std::string& name);
// The backbone names joined by `sep` ("tiny|bert|distilbert"); only those with a transformers twin if hf_only.
std::string backbone_names(const std::string& sep, bool hf_only);

}  // namespace jepa::model
