#pragma once
// The skeleton shared by the transformers-style encoders (bert_encoder.hpp, distilbert_encoder.hpp): word and
// absolute position embeddings -> LayerNorm -> dropout, then one registered ModuleList of layers. Subclasses name
// the modules as transformers does (so named_parameters() are the keys of its state dict) and supply the layer.
#include <string>
#include <vector>

#include <torch/torch.h>

#include "model/encoder.hpp"
#include "model/hf_config.hpp"

namespace jepa::model {

// Helpers shared by the transformers-style encoders.
namespace hf {
enum class Act { kGelu, kGeluTanh, kRelu, kSilu };
Act parse_act(const std::string& name);  // gelu | gelu_new | gelu_pytorch_tanh | relu | silu | swish
torch::Tensor activate(const torch::Tensor& x, Act act);
// Multi-head scaled dot-product attention over already projected q, k, v [B, L, D]; keep [B, L] bool (true =
// real token, may be attended to). Padding keys get the dtype's lowest value, as transformers does.
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& keep,
                        int64_t heads, double dropout);
// transformers' _init_weights: Linear/Embedding normal(0, std) (padding row zeroed), biases 0, LayerNorm 1/0.
void init_weights(torch::nn::Module& m, double std);
// nn.Embedding with padding_idx = pad when pad is a valid id; nn.LayerNorm(dim, eps).
torch::nn::Embedding embedding(int64_t n, int64_t dim, int64_t pad);
torch::nn::LayerNorm layer_norm(int64_t dim, double eps);
}  // namespace hf

// One transformer block of a transformers-style encoder.
class HfLayer : public torch::nn::Module {
 public:
  // x [B, L, D]; keep [B, L] bool (true = real token).
  virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keep) = 0;
};

class HfEncoder : public Encoder {
 public:
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& attention_mask,
                        std::vector<torch::Tensor>* layer_outputs = nullptr) override;
  int64_t dim() const override { return cfg_.hidden_size; }
  torch::nn::ModuleList layer_list() const override { return layers_; }
  const HfConfig* hf_config() const override { return &cfg_; }
  torch::Tensor token_embedding() const override { return word_embeddings_->weight; }

 protected:
  // `model_type` is the architecture the subclass implements; a config of another one is an error naming `cls`.
  HfEncoder(const HfConfig& cfg, const std::string& model_type, const std::string& cls);
  // Registers `embeddings` (module type name `type_name`) with word_embeddings, position_embeddings,
  // [token_type_embeddings,] LayerNorm and dropout, in transformers' order (which fixes the order of random
  // initialisation).
  void build_embeddings(const std::string& type_name, bool token_types);
  // Registers `container`.layer as a ModuleList of num_layers `Layer`s, each built from the config.
  template <class Layer>
  void build_layers(const std::string& container) {
    auto parent = register_module(container, std::make_shared<torch::nn::Module>(container));
    layers_ = parent->register_module("layer", torch::nn::ModuleList());
    for (int64_t i = 0; i < cfg_.num_layers; ++i) layers_->push_back(std::make_shared<Layer>(cfg_));
  }

  HfConfig cfg_;
  torch::nn::Embedding position_embeddings_{nullptr};  // DistilBERT may overwrite it with a sinusoidal table

 private:
  torch::nn::Embedding word_embeddings_{nullptr}, token_type_embeddings_{nullptr};
  torch::nn::LayerNorm emb_norm_{nullptr};
  torch::nn::Dropout emb_dropout_{nullptr};
  torch::nn::ModuleList layers_{nullptr};
};

}  // namespace jepa::model
