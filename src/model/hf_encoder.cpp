#include "model/hf_encoder.hpp"

#include <limits>
#include <stdexcept>

namespace jepa::model {

namespace hf {

Act parse_act(const std::string& name) {
  if (name == "gelu") return Act::kGelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return Act::kGeluTanh;
  if (name == "relu") return Act::kRelu;
  if (name == "silu" || name == "swish") return Act::kSilu;
  throw std::runtime_error("activation '" + name + "' is not supported (supported: " + supported_activations() + ")");
}

torch::Tensor activate(const torch::Tensor& x, Act act) {
  switch (act) {
    case Act::kGelu: return torch::gelu(x);  // exact (erf)
    case Act::kGeluTanh: return torch::gelu(x, "tanh");
    case Act::kRelu: return torch::relu(x);
    case Act::kSilu: return torch::silu(x);
  }
  return x;
}

namespace {
double lowest(torch::ScalarType t) {
  switch (t) {
    case torch::kHalf: return -65504.0;
    case torch::kBFloat16: return -3.3895313892515355e38;
    case torch::kDouble: return std::numeric_limits<double>::lowest();
    default: return std::numeric_limits<float>::lowest();
  }
}
}  // namespace

torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& keep,
                        int64_t heads, double dropout) {
  const auto B = q.size(0), L = q.size(1), D = q.size(2);
  auto split = [&](const torch::Tensor& t) { return t.view({B, L, heads, D / heads}).transpose(1, 2); };
  // Additive mask in the attention dtype (bf16 under autocast), [B, 1, 1, L]: 0 for real keys, lowest for padding.
  auto mask = torch::zeros({B, 1, 1, L}, q.options()).masked_fill(keep.logical_not().view({B, 1, 1, L}),
                                                                  lowest(q.scalar_type()));
  auto out = at::scaled_dot_product_attention(split(q), split(k), split(v), mask, dropout);
  return out.transpose(1, 2).reshape({B, L, D});
}

void init_weights(torch::nn::Module& root, double std) {
  torch::NoGradGuard no_grad;
  for (const auto& m : root.modules(/*include_self=*/false)) {
    if (auto* lin = m->as<torch::nn::Linear>()) {
      lin->weight.normal_(0.0, std);
      if (lin->bias.defined()) lin->bias.zero_();
    } else if (auto* emb = m->as<torch::nn::Embedding>()) {
      emb->weight.normal_(0.0, std);
      const auto pad = emb->options.padding_idx();
      if (pad && *pad >= 0) emb->weight[*pad].zero_();
    } else if (auto* ln = m->as<torch::nn::LayerNorm>()) {
      ln->weight.fill_(1.0);
      ln->bias.zero_();
    }
  }
}

torch::nn::Embedding embedding(int64_t n, int64_t dim, int64_t pad) {
  auto opt = torch::nn::EmbeddingOptions(n, dim);
  if (pad >= 0 && pad < n) opt.padding_idx(pad);
  return torch::nn::Embedding(opt);
}

torch::nn::LayerNorm layer_norm(int64_t dim, double eps) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(eps));
}

}  // namespace hf

HfEncoder::HfEncoder(const HfConfig& cfg, const std::string& model_type, const std::string& cls) : cfg_(cfg) {
  if (cfg.model_type != model_type)
    throw std::runtime_error(cls + ": model_type is '" + cfg.model_type + "', not " + model_type);
  hf::parse_act(cfg.activation);  // fail before allocating anything
}

void HfEncoder::build_embeddings(const std::string& type_name, bool token_types) {
  const auto D = cfg_.hidden_size;
  auto emb = register_module("embeddings", std::make_shared<torch::nn::Module>(type_name));
  word_embeddings_ = emb->register_module("word_embeddings", hf::embedding(cfg_.vocab_size, D, cfg_.pad_token_id));
  position_embeddings_ = emb->register_module("position_embeddings", torch::nn::Embedding(cfg_.max_positions, D));
  if (token_types)
    token_type_embeddings_ =
        emb->register_module("token_type_embeddings", torch::nn::Embedding(cfg_.type_vocab_size, D));
  emb_norm_ = emb->register_module("LayerNorm", hf::layer_norm(D, cfg_.layer_norm_eps));
  emb_dropout_ = emb->register_module("dropout", torch::nn::Dropout(cfg_.hidden_dropout));
}

torch::Tensor HfEncoder::forward(const torch::Tensor& ids, const torch::Tensor& attention_mask,
                                 std::vector<torch::Tensor>* layer_outputs) {
  if (ids.dim() != 2 || attention_mask.sizes() != ids.sizes())
    throw std::runtime_error(cfg_.model_type + " encoder: ids and attention_mask must both be [B, L], got " +
                             c10::str(ids.sizes()) + " and " + c10::str(attention_mask.sizes()));
  const auto L = ids.size(1);
  if (L > cfg_.max_positions)
    throw std::runtime_error(cfg_.model_type + " encoder: sequence length " + std::to_string(L) +
                             " exceeds max_position_embeddings " + std::to_string(cfg_.max_positions) +
                             " (lower data.max_length)");
  auto positions = torch::arange(L, ids.options().dtype(torch::kLong)).unsqueeze(0);
  // As transformers: (word [+ token type 0]) + position, then LayerNorm and dropout.
  auto x = word_embeddings_(ids);
  if (token_type_embeddings_) x = x + token_type_embeddings_->weight[0];
  x = emb_dropout_(emb_norm_(x + position_embeddings_(positions)));
  const auto keep = attention_mask.to(torch::kBool);
  for (const auto& layer : *layers_) {
    x = layer->as<HfLayer>()->forward(x, keep);
    if (layer_outputs) layer_outputs->push_back(x);
  }
  return x;
}

}  // namespace jepa::model
