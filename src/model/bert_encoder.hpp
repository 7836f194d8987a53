#pragma once
// transformers' BertModel in LibTorch: the same modules, the same math, the same parameter names (without the
// `bert.` prefix: embeddings.word_embeddings.weight, encoder.layer.0.attention.self.query.weight, ...), so a
// model.safetensors moves between the two without renaming. forward() returns last_hidden_state.
//
// Token types are all 0 (row 0 of token_type_embeddings). Positions are 0..L-1 (absolute), derived, not stored:
// `embeddings.position_ids` is not a buffer here. The pooler is never run, but kept as frozen *buffers*
// `pooler.dense.weight/bias` (no gradient, no EMA, not optimised), so a checkpoint and an export carry the source
// model's pooler unchanged and transformers' AutoModel finds every key it expects.
#include <string>

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
void check_inputs(const torch::Tensor& ids, const torch::Tensor& attention_mask, const HfConfig& c);
// nn.Embedding with padding_idx = pad when pad is a valid id; nn.LayerNorm(dim, eps).
torch::nn::Embedding embedding(int64_t n, int64_t dim, int64_t pad);
torch::nn::LayerNorm layer_norm(int64_t dim, double eps);
}  // namespace hf

class BertEncoder : public Encoder {
 public:
  // Random initialisation like transformers (uses the global torch generator).
  explicit BertEncoder(const HfConfig& cfg);
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& attention_mask) override;
  int64_t dim() const override { return cfg_.hidden_size; }
  const HfConfig* hf_config() const override { return &cfg_; }

 private:
  struct Layer;
  HfConfig cfg_;
  hf::Act act_;
  torch::nn::Embedding word_embeddings_{nullptr}, position_embeddings_{nullptr}, token_type_embeddings_{nullptr};
  torch::nn::LayerNorm emb_norm_{nullptr};
  torch::nn::Dropout emb_dropout_{nullptr};
  std::vector<std::shared_ptr<Layer>> layers_;
};

}  // namespace jepa::model
