#include "model/tiny_encoder.hpp"

#include <stdexcept>

namespace jepa::model {

SelfAttentionImpl::SelfAttentionImpl(int64_t dim, int64_t heads, double dropout) : heads_(heads), dropout_(dropout) {
  // Same initialisation as PyTorch's MultiheadAttention: xavier-uniform packed qkv, zero biases.
  in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * dim, dim}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * dim}));
  torch::nn::init::xavier_uniform_(in_proj_weight);
  out_proj = register_module("out_proj", torch::nn::Linear(dim, dim));
  torch::nn::init::zeros_(out_proj->bias);
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& keep) {
  const auto B = x.size(0), L = x.size(1), D = x.size(2);
  auto qkv = torch::linear(x, in_proj_weight, in_proj_bias).view({B, L, 3, heads_, D / heads_}).permute({2, 0, 3, 1, 4});
  auto mask = keep.view({B, 1, 1, L});  // bool: true = may attend
  auto out = at::scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], mask, is_training() ? dropout_ : 0.0);
  // The output projection runs sequence-major ([L, B, D] in memory, returned as a [B, L, D] view), as PyTorch's
  // MultiheadAttention does: dropout draws its mask in memory order, so the same generator state gives the same
  // dropout masks as nn.TransformerEncoderLayer (tests/golden/test_parity.py, case dropout).
  return out_proj(out.permute({2, 0, 1, 3}).reshape({L * B, D})).view({L, B, D}).transpose(0, 1);
}

EncoderLayerImpl::EncoderLayerImpl(int64_t dim, int64_t heads, int64_t ff_dim, double p) {
  self_attn = register_module("self_attn", SelfAttention(dim, heads, p));
  linear1 = register_module("linear1", torch::nn::Linear(dim, ff_dim));
  dropout = register_module("dropout", torch::nn::Dropout(p));
  linear2 = register_module("linear2", torch::nn::Linear(ff_dim, dim));
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-5)));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-5)));
  dropout1 = register_module("dropout1", torch::nn::Dropout(p));
  dropout2 = register_module("dropout2", torch::nn::Dropout(p));
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& keep) {
  // Post-LN, as nn.TransformerEncoderLayer(norm_first=False).
  auto h = norm1(x + dropout1(self_attn(x, keep)));
  return norm2(h + dropout2(linear2(dropout(torch::relu(linear1(h))))));
}

TinyEncoder::TinyEncoder(int64_t vocab_size, int64_t dim, int64_t n_layers, int64_t heads, int64_t ff_dim,
                         double dropout, int64_t max_positions)
    : dim_(dim), max_positions_(max_positions) {
  emb = register_module("emb", torch::nn::Embedding(vocab_size, dim));
  pos = register_module("pos", torch::nn::Embedding(max_positions, dim));
  auto enc = register_module("enc", std::make_shared<torch::nn::Module>("TransformerEncoder"));
  layers = enc->register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < n_layers; ++i) layers->push_back(EncoderLayer(dim, heads, ff_dim, dropout));
}

torch::Tensor TinyEncoder::forward(const torch::Tensor& ids, const torch::Tensor& attention_mask,
                                   std::vector<torch::Tensor>* layer_outputs) {
  const auto L = ids.size(1);
  if (L > max_positions_)
    throw std::runtime_error("sequence length " + std::to_string(L) + " exceeds model.max_positions " +
                             std::to_string(max_positions_));
  auto positions = torch::arange(L, ids.options()).unsqueeze(0);
  auto x = emb(ids) + pos(positions);
  auto keep = attention_mask.to(torch::kBool);
  for (const auto& layer : *layers) {
    x = layer->as<EncoderLayer>()->forward(x, keep);
    if (layer_outputs) layer_outputs->push_back(x);
  }
  return x;
}

}  // namespace jepa::model
