#include "model/distilbert_encoder.hpp"

#include <cmath>

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

// transformer.layer.N: attention, sa_layer_norm, ffn, output_layer_norm.
struct DistilBertLayer : HfLayer {
  explicit DistilBertLayer(const HfConfig& c)
      : heads(c.num_heads), attn_dropout(c.attention_dropout), act(hf::parse_act(c.activation)) {
    attention = register_module("attention", std::make_shared<MultiHeadSelfAttention>(c.hidden_size));
    sa_layer_norm = register_module("sa_layer_norm", hf::layer_norm(c.hidden_size, c.layer_norm_eps));
    ffn = register_module("ffn", std::make_shared<Ffn>(c));
    output_layer_norm = register_module("output_layer_norm", hf::layer_norm(c.hidden_size, c.layer_norm_eps));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keep) override {
    auto& a = *attention;
    auto ctx = hf::attention(a.q_lin(x), a.k_lin(x), a.v_lin(x), keep, heads, is_training() ? attn_dropout : 0.0);
    auto sa = sa_layer_norm(a.out_lin(ctx) + x);
    auto f = ffn->dropout(ffn->lin2(hf::activate(ffn->lin1(sa), act)));
    return output_layer_norm(f + sa);
  }
  int64_t heads;
  double attn_dropout;
  hf::Act act;
  std::shared_ptr<MultiHeadSelfAttention> attention;
  LayerNorm sa_layer_norm{nullptr}, output_layer_norm{nullptr};
  std::shared_ptr<Ffn> ffn;
};
}  // namespace

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

DistilBertEncoder::DistilBertEncoder(const HfConfig& c) : HfEncoder(c, "distilbert", "DistilBertEncoder") {
  build_embeddings("Embeddings", /*token_types=*/false);
  build_layers<DistilBertLayer>("transformer");

  hf::init_weights(*this, c.initializer_range);
  if (c.sinusoidal_pos_embds) {
    torch::NoGradGuard no_grad;
    position_embeddings_->weight.copy_(sinusoidal_positions(c.max_positions, c.hidden_size));
  }
}

}  // namespace jepa::model
