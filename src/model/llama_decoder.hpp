#pragma once
// A Llama-style decoder-only transformer (design.md §9): token embedding -> N x [RMSNorm -> causal self-attention
// with rotary positions (RoPE, rotate-half form) and grouped-query heads -> residual -> RMSNorm -> SwiGLU MLP ->
// residual] -> RMSNorm -> LM head. No biases, no dropout (Llama's defaults). Modules are named as transformers'
// LlamaForCausalLM (model.embed_tokens, model.layers.N.self_attn.q_proj, ..., model.norm, lm_head), so
// named_parameters() are the keys of its state dict and tests/golden/test_llama_decoder.py compares the logits of the
// same weights with transformers' eager implementation.
//
// Beyond Encoder::forward (causal attention over each row's real tokens), rows may hold several independent
// segments: `segments` [R, L] int64 numbers them (0 = padding) and a query attends to the keys of its own segment at
// or before it (block-causal). Positions restart in every segment, so a row packing text ⊕ code computes exactly
// what two rows of their own compute (the packed LLM-JEPA forward).
#include <torch/torch.h>

#include "config/config.hpp"
#include "model/encoder.hpp"

namespace jepa::model {

struct LlamaConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 256;
  int64_t num_layers = 4;
  int64_t num_heads = 4;
  int64_t num_kv_heads = 4;
  int64_t intermediate_size = 688;
  int64_t max_positions = 512;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-5;
  bool tie_word_embeddings = false;
  double initializer_range = 0.02;
};

// model.name=llama: the architecture from model.dim/layers/heads/kv_heads/ff_dim/max_positions/rope_theta/
// norm_eps/tie_embeddings.
LlamaConfig llama_config_from_model(const config::ModelConfig& m, int64_t vocab_size);

class LlamaDecoder : public Encoder {
 public:
  explicit LlamaDecoder(const LlamaConfig& cfg);

  // Causal over each row's real tokens (attention_mask 1); positions count real tokens, so left and right padding
  // give the same hidden states at real positions. Returns the final-norm hidden state [B, L, D].
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& attention_mask,
                        std::vector<torch::Tensor>* layer_outputs = nullptr) override;
  // ids, positions, segments [R, L] int64: block-causal within segments (see above). Final-norm hidden states.
  torch::Tensor forward_segments(const torch::Tensor& ids, const torch::Tensor& positions, const torch::Tensor& segments,
                                 std::vector<torch::Tensor>* layer_outputs = nullptr);
  // Next-token logits [.., vocab] from final-norm hidden states [.., D].
  torch::Tensor logits(const torch::Tensor& hidden);

  int64_t dim() const override { return cfg_.hidden_size; }
  torch::nn::ModuleList layer_list() const override { return layers_; }
  torch::Tensor token_embedding() const override { return embed_->weight; }
  const LlamaConfig& config() const { return cfg_; }

 private:
  LlamaConfig cfg_;
  torch::nn::Embedding embed_{nullptr};
  torch::nn::ModuleList layers_{nullptr};
  torch::Tensor norm_weight_;
  torch::nn::Linear lm_head_{nullptr};  // null when tied: logits use the embedding table
  torch::Tensor inv_freq_;              // RoPE frequencies (not a parameter, not saved: derived from the config)
};

// Positions from an attention mask [B, L]: the count of real tokens before each position (0 at the first real one),
// the same under left and right padding.
torch::Tensor positions_from_mask(const torch::Tensor& attention_mask);

}  // namespace jepa::model
