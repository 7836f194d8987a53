#include "model/bert_encoder.hpp"

namespace jepa::model {
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

// encoder.layer.N: attention, intermediate, output.
struct BertLayer : HfLayer {
  explicit BertLayer(const HfConfig& c)
      : heads(c.num_heads), attn_dropout(c.attention_dropout), act(hf::parse_act(c.activation)) {
    attention = register_module("attention", std::make_shared<Attention>(c));
    intermediate = register_module("intermediate", std::make_shared<Intermediate>(c));
    output = register_module("output", std::make_shared<DenseNorm>(c.intermediate_size, c.hidden_size, c));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keep) override {
    auto& sa = *attention->self;
    auto ctx = hf::attention(sa.query(x), sa.key(x), sa.value(x), keep, heads, is_training() ? attn_dropout : 0.0);
    auto h = attention->output->forward(ctx, x);
    return output->forward(hf::activate(intermediate->dense(h), act), h);
  }
  int64_t heads;
  double attn_dropout;
  hf::Act act;
  std::shared_ptr<Attention> attention;
  std::shared_ptr<Intermediate> intermediate;
  std::shared_ptr<DenseNorm> output;
};
}  // namespace

BertEncoder::BertEncoder(const HfConfig& c) : HfEncoder(c, "bert", "BertEncoder") {
  build_embeddings("BertEmbeddings", /*token_types=*/true);
  build_layers<BertLayer>("encoder");

  // Pooler: frozen buffers (see the header), initialised like transformers' Linear.
  const auto D = c.hidden_size;
  auto pooler = register_module("pooler", std::make_shared<Module>("BertPooler"));
  auto dense = pooler->register_module("dense", std::make_shared<Module>("Linear"));
  dense->register_buffer("weight", torch::empty({D, D}).normal_(0.0, c.initializer_range));
  dense->register_buffer("bias", torch::zeros({D}));

  hf::init_weights(*this, c.initializer_range);
}

}  // namespace jepa::model
