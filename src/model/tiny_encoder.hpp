#pragma once
// The reference's smoke-test encoder: token + learned position embeddings, then post-LN Transformer encoder
// layers (ReLU FFN, dropout, key-padding mask). Parameter names equal PyTorch's nn.TransformerEncoder ones
// (enc.layers.N.self_attn.in_proj_weight, ...), so weights move between the two through safetensors.
#include <torch/torch.h>

#include "model/encoder.hpp"

namespace jepa::model {

class SelfAttentionImpl : public torch::nn::Module {
 public:
  SelfAttentionImpl(int64_t dim, int64_t heads, double dropout);
  // x: [B, L, D]; keep: [B, L] bool, true = real token.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keep);

  torch::Tensor in_proj_weight, in_proj_bias;
  torch::nn::Linear out_proj{nullptr};

 private:
  int64_t heads_;
  double dropout_;
};
TORCH_MODULE(SelfAttention);

class EncoderLayerImpl : public torch::nn::Module {
 public:
  EncoderLayerImpl(int64_t dim, int64_t heads, int64_t ff_dim, double dropout);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keep);

  SelfAttention self_attn{nullptr};
  torch::nn::Linear linear1{nullptr}, linear2{nullptr};
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Dropout dropout{nullptr}, dropout1{nullptr}, dropout2{nullptr};
};
TORCH_MODULE(EncoderLayer);

class TinyEncoder : public Encoder {
 public:
  TinyEncoder(int64_t vocab_size, int64_t dim, int64_t layers, int64_t heads, int64_t ff_dim, double dropout,
              int64_t max_positions);
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& attention_mask,
                        std::vector<torch::Tensor>* layer_outputs = nullptr) override;
  int64_t dim() const override { return dim_; }
  torch::nn::ModuleList layer_list() const override { return layers; }
  torch::Tensor token_embedding() const override { return emb->weight; }

 private:
  int64_t dim_, max_positions_;
  torch::nn::Embedding emb{nullptr}, pos{nullptr};
  torch::nn::ModuleList layers{nullptr};  // registered as enc.layers, mirroring nn.TransformerEncoder
};

}  // namespace jepa::model
