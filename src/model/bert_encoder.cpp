#include "model/bert_encoder.hpp"

#include <limits>
#include <stdexcept>

namespace jepa::model {

// ---- shared helpers -------------------------------------------------------------------------------------------
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

void check_inputs(const torch::Tensor& ids, const torch::Tensor& attention_mask, const HfConfig& c) {
  if (ids.dim() != 2 || attention_mask.sizes() != ids.sizes())
    throw std::runtime_error(c.model_type + " encoder: ids and attention_mask must both be [B, L], got " +
                             c10::str(ids.sizes()) + " and " + c10::str(attention_mask.sizes()));
  if (ids.size(1) > c.max_positions)
    throw std::runtime_error(c.model_type + " encoder: sequence length " + std::to_string(ids.size(1)) +
                             " exceeds max_position_embeddings " + std::to_string(c.max_positions) +
                             " (lower data.max_length)");
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

// ---- BERT -----------------------------------------------------------------------------------------------------
namespace {
using torch::nn::Dropout;
using torch::nn::LayerNorm;
using torch::nn::Linear;
using torch::nn::Module;

// attention.output / output: LayerNorm(dropout(dense(h)) + residual).
struct DenseNorm : Module {
  DenseNorm(int64_t in, int64_t out, const HfConfig& c) {
    dense = register_module("dense", Linear(in, out));
    norm = register_module("LayerNorm", hf::layer_norm(out, c.layer_norm_eps));
    dropout = register_module("dropout", Dropout(c.hidden_dropout));
  }
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& residual) {
    return norm(dropout(dense(h)) + residual);
  }
  Linear dense{nullptr};
  LayerNorm norm{nullptr};
  Dropout dropout{nullptr};
};

struct SelfAttention : Module {
  explicit SelfAttention(int64_t d) {
    query = register_module("query", Linear(d, d));
    key = register_module("key", Linear(d, d));
    value = register_module("value", Linear(d, d));
  }
  Linear query{nullptr}, key{nullptr}, value{nullptr};
};

struct Attention : Module {
  explicit Attention(const HfConfig& c) {
    self = register_module("self", std::make_shared<SelfAttention>(c.hidden_size));
    output = register_module("output", std::make_shared<DenseNorm>(c.hidden_size, c.hidden_size, c));
  }
  std::shared_ptr<SelfAttention> self;
  std::shared_ptr<DenseNorm> output;
};

struct Intermediate : Module {
  explicit Intermediate(const HfConfig& c) { dense = register_module("dense", Linear(c.hidden_size, c.intermediate_size)); }
  Linear dense{nullptr};
};
}  // namespace

struct BertEncoder::Layer : Module {
  explicit Layer(const HfConfig& c) : heads(c.num_heads), attn_dropout(c.attention_dropout) {
    attention = register_module("attention", std::make_shared<Attention>(c));
    intermediate = register_module("intermediate", std::make_shared<Intermediate>(c));
    output = register_module("output", std::make_shared<DenseNorm>(c.intermediate_size, c.hidden_size, c));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keep, hf::Act act) {
    auto& sa = *attention->self;
    auto ctx = hf::attention(sa.query(x), sa.key(x), sa.value(x), keep, heads, is_training() ? attn_dropout : 0.0);
    auto h = attention->output->forward(ctx, x);
    return output->forward(hf::activate(intermediate->dense(h), act), h);
  }
  int64_t heads;
  double attn_dropout;
  std::shared_ptr<Attention> attention;
  std::shared_ptr<Intermediate> intermediate;
  std::shared_ptr<DenseNorm> output;
};

BertEncoder::BertEncoder(const HfConfig& c) : cfg_(c), act_(hf::parse_act(c.activation)) {
  if (c.model_type != "bert") throw std::runtime_error("BertEncoder: model_type is '" + c.model_type + "', not bert");
  const auto D = c.hidden_size;
  auto emb = register_module("embeddings", std::make_shared<Module>("BertEmbeddings"));
  word_embeddings_ = emb->register_module("word_embeddings", hf::embedding(c.vocab_size, D, c.pad_token_id));
  position_embeddings_ = emb->register_module("position_embeddings", torch::nn::Embedding(c.max_positions, D));
  token_type_embeddings_ = emb->register_module("token_type_embeddings", torch::nn::Embedding(c.type_vocab_size, D));
  emb_norm_ = emb->register_module("LayerNorm", hf::layer_norm(D, c.layer_norm_eps));
  emb_dropout_ = emb->register_module("dropout", Dropout(c.hidden_dropout));

  auto enc = register_module("encoder", std::make_shared<Module>("BertEncoder"));
  auto list = enc->register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_layers; ++i) {
    layers_.push_back(std::make_shared<Layer>(c));
    list->push_back(layers_.back());
  }

  // Pooler: frozen buffers (see the header), initialised like transformers' Linear.
  auto pooler = register_module("pooler", std::make_shared<Module>("BertPooler"));
  auto dense = pooler->register_module("dense", std::make_shared<Module>("Linear"));
  dense->register_buffer("weight", torch::empty({D, D}).normal_(0.0, c.initializer_range));
  dense->register_buffer("bias", torch::zeros({D}));

  hf::init_weights(*this, c.initializer_range);
}

torch::Tensor BertEncoder::forward(const torch::Tensor& ids, const torch::Tensor& attention_mask) {
  hf::check_inputs(ids, attention_mask, cfg_);
  const auto L = ids.size(1);
  auto positions = torch::arange(L, ids.options().dtype(torch::kLong)).unsqueeze(0);
  // As transformers: (word + token_type) + position, then LayerNorm and dropout.
  auto x = word_embeddings_(ids) + token_type_embeddings_->weight[0];
  x = emb_dropout_(emb_norm_(x + position_embeddings_(positions)));
  const auto keep = attention_mask.to(torch::kBool);
  for (const auto& layer : layers_) x = layer->forward(x, keep, act_);
  return x;
}

}  // namespace jepa::model
