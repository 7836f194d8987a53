#include "model/distilbert_encoder.hpp"

#include <cmath>
#include <stdexcept>

namespace jepa::model {

namespace {
using torch::nn::Dropout;
using torch::nn::LayerNorm;
using torch::nn::Linear;
using torch::nn::Module;

struct MultiHeadSelfAttention : Module {
  explicit MultiHeadSelfAttention(int64_t d) {
    q_lin = register_module("q_lin", Linear(d, d));
    k_lin = register_module("k_lin", Linear(d, d));
    v_lin = register_module("v_lin", Linear(d, d));
    out_lin = register_module("out_lin", Linear(d, d));
  }
  Linear q_lin{nullptr}, k_lin{nullptr}, v_lin{nullptr}, out_lin{nullptr};
};

struct Ffn : Module {
  explicit Ffn(const HfConfig& c) {
    lin1 = register_module("lin1", Linear(c.hidden_size, c.intermediate_size));
    lin2 = register_module("lin2", Linear(c.intermediate_size, c.hidden_size));
    dropout = register_module("dropout", Dropout(c.hidden_dropout));
  }
  Linear lin1{nullptr}, lin2{nullptr};
  Dropout dropout{nullptr};
};
}  // namespace

struct DistilBertEncoder::Layer : Module {
  explicit Layer(const HfConfig& c) : heads(c.num_heads), attn_dropout(c.attention_dropout) {
    attention = register_module("attention", std::make_shared<MultiHeadSelfAttention>(c.hidden_size));
    sa_layer_norm = register_module("sa_layer_norm", hf::layer_norm(c.hidden_size, c.layer_norm_eps));
    ffn = register_module("ffn", std::make_shared<Ffn>(c));
    output_layer_norm = register_module("output_layer_norm", hf::layer_norm(c.hidden_size, c.layer_norm_eps));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keep, hf::Act act) {
    auto& a = *attention;
    auto ctx = hf::attention(a.q_lin(x), a.k_lin(x), a.v_lin(x), keep, heads, is_training() ? attn_dropout : 0.0);
    auto sa = sa_layer_norm(a.out_lin(ctx) + x);
    auto f = ffn->dropout(ffn->lin2(hf::activate(ffn->lin1(sa), act)));
    return output_layer_norm(f + sa);
  }
  int64_t heads;
  double attn_dropout;
  std::shared_ptr<MultiHeadSelfAttention> attention;
  LayerNorm sa_layer_norm{nullptr}, output_layer_norm{nullptr};
  std::shared_ptr<Ffn> ffn;
};

torch::Tensor sinusoidal_positions(int64_t n_pos, int64_t dim) {
  auto out = torch::empty({n_pos, dim}, torch::kDouble);
  auto a = out.accessor<double, 2>();
  for (int64_t pos = 0; pos < n_pos; ++pos)
    for (int64_t j = 0; j < dim; ++j) {
      const double angle = static_cast<double>(pos) / std::pow(10000.0, 2.0 * static_cast<double>(j / 2) / static_cast<double>(dim));
      a[pos][j] = (j % 2 == 0) ? std::sin(angle) : std::cos(angle);
    }
  return out.to(torch::kFloat);
}

DistilBertEncoder::DistilBertEncoder(const HfConfig& c) : cfg_(c), act_(hf::parse_act(c.activation)) {
  if (c.model_type != "distilbert")
    throw std::runtime_error("DistilBertEncoder: model_type is '" + c.model_type + "', not distilbert");
  const auto D = c.hidden_size;
  auto emb = register_module("embeddings", std::make_shared<Module>("Embeddings"));
  word_embeddings_ = emb->register_module("word_embeddings", hf::embedding(c.vocab_size, D, c.pad_token_id));
  position_embeddings_ = emb->register_module("position_embeddings", torch::nn::Embedding(c.max_positions, D));
  emb_norm_ = emb->register_module("LayerNorm", hf::layer_norm(D, c.layer_norm_eps));
  emb_dropout_ = emb->register_module("dropout", Dropout(c.hidden_dropout));

  auto tr = register_module("transformer", std::make_shared<Module>("Transformer"));
  auto list = tr->register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_layers; ++i) {
    layers_.push_back(std::make_shared<Layer>(c));
    list->push_back(layers_.back());
  }

  hf::init_weights(*this, c.initializer_range);
  if (c.sinusoidal_pos_embds) {
    torch::NoGradGuard no_grad;
    position_embeddings_->weight.copy_(sinusoidal_positions(c.max_positions, D));
  }
}

torch::Tensor DistilBertEncoder::forward(const torch::Tensor& ids, const torch::Tensor& attention_mask) {
  hf::check_inputs(ids, attention_mask, cfg_);
  auto positions = torch::arange(ids.size(1), ids.options().dtype(torch::kLong)).unsqueeze(0);
  auto x = emb_dropout_(emb_norm_(word_embeddings_(ids) + position_embeddings_(positions)));
  const auto keep = attention_mask.to(torch::kBool);
  for (const auto& layer : layers_) x = layer->forward(x, keep, act_);
  return x;
}

}  // namespace jepa::model
