#include "model/llama_decoder.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace jepa::model {
namespace {

// RMSNorm as Llama computes it: in fp32, x · rsqrt(mean(x²) + eps), cast back, times the weight.
torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  const auto h = x.to(torch::kFloat);
  return weight * (h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps)).to(x.scalar_type());
}

class RmsNormImpl : public torch::nn::Module {
 public:
  RmsNormImpl(int64_t dim, double eps) : eps_(eps) { weight = register_parameter("weight", torch::ones({dim})); }
  torch::Tensor forward(const torch::Tensor& x) { return rms_norm(x, weight, eps_); }
  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(RmsNorm);

torch::nn::Linear linear(int64_t in, int64_t out) { return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false)); }

// x [R, H, L, d]: (x1, x2) -> (-x2, x1) over the two halves of the head dimension.
torch::Tensor rotate_half(const torch::Tensor& x) {
  const auto half = x.size(-1) / 2;
  return torch::cat({-x.slice(-1, half), x.slice(-1, 0, half)}, -1);
}

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const LlamaConfig& c)
      : heads_(c.num_heads), kv_heads_(c.num_kv_heads), head_dim_(c.hidden_size / c.num_heads) {
    q_proj = register_module("q_proj", linear(c.hidden_size, heads_ * head_dim_));
    k_proj = register_module("k_proj", linear(c.hidden_size, kv_heads_ * head_dim_));
    v_proj = register_module("v_proj", linear(c.hidden_size, kv_heads_ * head_dim_));
    o_proj = register_module("o_proj", linear(heads_ * head_dim_, c.hidden_size));
  }
  // x [R, L, D]; cos, sin [R, 1, L, d]; bias [R, 1, L, L] additive (0 allowed, -inf not).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& bias) {
    const auto R = x.size(0), L = x.size(1);
    auto q = q_proj(x).view({R, L, heads_, head_dim_}).transpose(1, 2);
    auto k = k_proj(x).view({R, L, kv_heads_, head_dim_}).transpose(1, 2);
    auto v = v_proj(x).view({R, L, kv_heads_, head_dim_}).transpose(1, 2);
    q = q * cos + rotate_half(q) * sin;
    k = k * cos + rotate_half(k) * sin;
    if (kv_heads_ != heads_) {  // grouped-query attention: each key/value head serves heads/kv_heads query heads
      k = k.repeat_interleave(heads_ / kv_heads_, 1);
      v = v.repeat_interleave(heads_ / kv_heads_, 1);
    }
    const auto scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(head_dim_)) + bias;
    const auto probs = torch::softmax(scores, -1, torch::kFloat).to(q.scalar_type());
    const auto out = torch::matmul(probs, v).transpose(1, 2).reshape({R, L, heads_ * head_dim_});
    return o_proj(out);
  }
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};

 private:
  int64_t heads_, kv_heads_, head_dim_;
};
TORCH_MODULE(Attention);

class MlpImpl : public torch::nn::Module {
 public:
  explicit MlpImpl(const LlamaConfig& c) {
    gate_proj = register_module("gate_proj", linear(c.hidden_size, c.intermediate_size));
    up_proj = register_module("up_proj", linear(c.hidden_size, c.intermediate_size));
    down_proj = register_module("down_proj", linear(c.intermediate_size, c.hidden_size));
  }
  torch::Tensor forward(const torch::Tensor& x) { return down_proj(torch::silu(gate_proj(x)) * up_proj(x)); }
  torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(Mlp);

class LayerImpl : public torch::nn::Module {
 public:
  explicit LayerImpl(const LlamaConfig& c) {
    self_attn = register_module("self_attn", Attention(c));
    mlp = register_module("mlp", Mlp(c));
    input_layernorm = register_module("input_layernorm", RmsNorm(c.hidden_size, c.rms_norm_eps));
    post_attention_layernorm = register_module("post_attention_layernorm", RmsNorm(c.hidden_size, c.rms_norm_eps));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& bias) {
    const auto h = x + self_attn(input_layernorm(x), cos, sin, bias);
    return h + mlp(post_attention_layernorm(h));
  }
  Attention self_attn{nullptr};
  Mlp mlp{nullptr};
  RmsNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
};
TORCH_MODULE(Layer);

}  // namespace

LlamaConfig llama_config_from_model(const config::ModelConfig& m, int64_t vocab_size) {
  LlamaConfig c;
  c.vocab_size = vocab_size;
  c.hidden_size = m.dim;
  c.num_layers = m.layers;
  c.num_heads = m.heads;
  c.num_kv_heads = m.kv_heads > 0 ? m.kv_heads : m.heads;
  c.intermediate_size = m.ff_dim;
  c.max_positions = m.max_positions;
  c.rope_theta = m.rope_theta;
  c.rms_norm_eps = m.norm_eps;
  c.tie_word_embeddings = m.tie_embeddings;
  return c;
}

LlamaDecoder::LlamaDecoder(const LlamaConfig& cfg) : cfg_(cfg) {
  if (cfg.vocab_size < 1) throw std::runtime_error("llama decoder: vocab_size must be positive");
  if (cfg.hidden_size % cfg.num_heads != 0 || (cfg.hidden_size / cfg.num_heads) % 2 != 0)
    throw std::runtime_error("llama decoder: model.dim " + std::to_string(cfg.hidden_size) + " / model.heads " +
                             std::to_string(cfg.num_heads) + " must be an even head size (RoPE rotates pairs)");
  if (cfg.num_kv_heads < 1 || cfg.num_heads % cfg.num_kv_heads != 0)
    throw std::runtime_error("llama decoder: model.kv_heads must divide model.heads");
  // transformers' module tree: model.{embed_tokens, layers, norm} and lm_head, in its registration order.
  auto body = register_module("model", std::make_shared<torch::nn::Module>("LlamaModel"));
  embed_ = body->register_module("embed_tokens", torch::nn::Embedding(cfg.vocab_size, cfg.hidden_size));
  layers_ = body->register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < cfg.num_layers; ++i) layers_->push_back(Layer(cfg));
  auto norm = body->register_module("norm", RmsNorm(cfg.hidden_size, cfg.rms_norm_eps));
  norm_weight_ = norm->weight;
  if (!cfg.tie_word_embeddings) lm_head_ = register_module("lm_head", linear(cfg.hidden_size, cfg.vocab_size));
  // transformers' _init_weights for Llama: Linear and Embedding ~ N(0, initializer_range), RMSNorm weights 1.
  torch::NoGradGuard no_grad;
  for (auto& p : named_parameters())
    if (p.key().find("layernorm") == std::string::npos && p.key() != "model.norm.weight")
      p.value().normal_(0.0, cfg.initializer_range);
  const auto d = cfg.hidden_size / cfg.num_heads;
  inv_freq_ = 1.0 / torch::pow(cfg.rope_theta, torch::arange(0, d, 2, torch::kLong).to(torch::kFloat) / static_cast<double>(d));
}

torch::Tensor positions_from_mask(const torch::Tensor& attention_mask) {
  return (attention_mask.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
}

torch::Tensor LlamaDecoder::forward(const torch::Tensor& ids, const torch::Tensor& attention_mask,
                                    std::vector<torch::Tensor>* layer_outputs) {
  return forward_segments(ids, positions_from_mask(attention_mask), attention_mask.to(torch::kLong), layer_outputs);
}

torch::Tensor LlamaDecoder::forward_segments(const torch::Tensor& ids, const torch::Tensor& positions,
                                             const torch::Tensor& segments, std::vector<torch::Tensor>* layer_outputs) {
  const auto L = ids.size(1);  // RoPE has no table: rows longer than max_positions work (unseen positions, though)
  auto x = embed_(ids);
  // RoPE tables per row and position (positions restart in every segment).
  // The frequencies are no parameter or buffer (transformers does not save them): moved once, on first use.
  if (inv_freq_.device() != x.device()) inv_freq_ = inv_freq_.to(x.device());
  const auto freqs = positions.to(torch::kFloat).unsqueeze(-1) * inv_freq_;  // [R, L, d/2]
  const auto emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);                            // [R, 1, L, d]
  const auto cos = emb.cos().to(x.scalar_type()), sin = emb.sin().to(x.scalar_type());
  // Block-causal: key k is visible to query q when both are in the same (non-padding) segment and k <= q. A padding
  // query sees itself only, so no softmax row is empty (its output is never read).
  const auto idx = torch::arange(L, ids.options().dtype(torch::kLong));
  const auto causal = idx.unsqueeze(1) >= idx.unsqueeze(0);  // [L(q), L(k)]
  const auto same = segments.unsqueeze(2) == segments.unsqueeze(1);  // [R, q, k]
  const auto real_key = (segments > 0).unsqueeze(1);
  const auto eye = torch::eye(L, ids.options().dtype(torch::kBool));
  const auto allowed = (same & real_key & causal) | eye;
  const auto bias = torch::zeros(allowed.sizes(), x.options())
                        .masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity())
                        .unsqueeze(1);
  for (const auto& layer : *layers_) {
    x = layer->as<LayerImpl>()->forward(x, cos, sin, bias);
    if (layer_outputs) layer_outputs->push_back(x);
  }
  auto out = rms_norm(x, norm_weight_, cfg_.rms_norm_eps);
  if (layer_outputs) layer_outputs->back() = out;  // the encoder contract: the last entry is what forward returns
  return out;
}

torch::Tensor LlamaDecoder::logits(const torch::Tensor& hidden) {
  return lm_head_ ? lm_head_(hidden) : torch::matmul(hidden, embed_->weight.t());
}

}  // namespace jepa::model
