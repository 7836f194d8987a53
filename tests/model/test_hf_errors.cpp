// Local Hugging Face model dirs (model.name=DIR): what loads, and the one-line error for each kind of bad dir.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "model/bert_encoder.hpp"
#include "model/distilbert_encoder.hpp"
#include "model/encoder.hpp"
#include "model/hf_config.hpp"
#include "model/safetensors.hpp"

namespace fs = std::filesystem;
using namespace jepa::model;
namespace config = jepa::config;

namespace {

constexpr int64_t kVocab = 50;

const char* kBertConfig = R"({"model_type": "bert", "architectures": ["BertModel"], "vocab_size": 50,
  "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 32,
  "max_position_embeddings": 24, "hidden_act": "gelu", "layer_norm_eps": 1e-12, "pad_token_id": 0})";
const char* kDistilConfig = R"({"model_type": "distilbert", "vocab_size": 50, "dim": 16, "n_layers": 2,
  "n_heads": 2, "hidden_dim": 32, "max_position_embeddings": 24, "activation": "gelu"})";

fs::path fresh_dir(const std::string& name) {
  const auto d = fs::path(JEPA_BUILD_DIR) / "test_tmp" / "hf_errors" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write_text(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

config::ModelConfig named(const fs::path& dir) {
  config::ModelConfig m;
  m.name = dir.string();
  return m;
}

// A model dir with config.json `cfg` and the weights of a freshly built encoder of that config, after `edit`.
template <class Edit>
fs::path model_dir(const std::string& name, const char* cfg, Edit edit) {
  const auto d = fresh_dir(name);
  write_text(d / "config.json", cfg);
  const auto hc = parse_hf_config(nlohmann::json::parse(cfg), "test");
  EncoderPtr enc = hc.model_type == "bert" ? EncoderPtr(std::make_shared<BertEncoder>(hc))
                                           : EncoderPtr(std::make_shared<DistilBertEncoder>(hc));
  TensorMap w;
  for (const auto& [k, v] : encoder_state(*enc)) w[k] = v.clone();
  edit(w);
  save_safetensors((d / "model.safetensors").string(), w);
  return d;
}
fs::path model_dir(const std::string& name, const char* cfg = kBertConfig) {
  return model_dir(name, cfg, [](TensorMap&) {});
}

// make_encoder must fail with one line containing every needle.
void expect_error(const config::ModelConfig& m, const std::vector<std::string>& needles, int64_t vocab = kVocab) {
  try {
    make_encoder(m, vocab);
    FAIL() << "no error for model.name=" << m.name;
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "not one line: " << msg;
    for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
  }
}

}  // namespace

TEST(HfModelDir, LoadsBertAndDistilBertWeights) {
  for (const char* cfg : {kBertConfig, kDistilConfig}) {
    const auto d = model_dir("good", cfg);
    const auto saved = load_safetensors((d / "model.safetensors").string());
    auto enc = make_encoder(named(d), kVocab);
    ASSERT_NE(enc->hf_config(), nullptr);
    EXPECT_EQ(enc->dim(), 16);
    for (const auto& [k, v] : encoder_state(*enc)) EXPECT_TRUE(torch::equal(v, saved.at(k))) << k;
    enc->eval();
    auto out = enc->forward(torch::tensor({{2, 7, 9, 0}}), torch::tensor({{1, 1, 1, 0}}));
    EXPECT_EQ(out.sizes(), (std::vector<int64_t>{1, 4, 16}));
  }
}

TEST(HfModelDir, StripsPrefixSkipsHeadsAndToleratesMissingPooler) {
  // A BertForMaskedLM-style file: bert.-prefixed, MLM head cls.*, position_ids buffer, no pooler, fp16 weights.
  const auto d = model_dir("prefixed", kBertConfig, [](TensorMap& w) {
    TensorMap out;
    for (auto& [k, v] : w)
      if (k.rfind("pooler.", 0) != 0) out["bert." + k] = v.to(torch::kHalf);
    out["cls.predictions.bias"] = torch::zeros({kVocab});
    out["bert.embeddings.position_ids"] = torch::arange(24).unsqueeze(0);
    w = out;
  });
  auto enc = make_encoder(named(d), kVocab);
  const auto saved = load_safetensors((d / "model.safetensors").string());
  const auto state = encoder_state(*enc);
  EXPECT_TRUE(torch::equal(state.at("encoder.layer.1.output.dense.weight"),
                           saved.at("bert.encoder.layer.1.output.dense.weight").to(torch::kFloat)));
  EXPECT_EQ(state.at("pooler.dense.weight").sizes(), (std::vector<int64_t>{16, 16}));  // kept from init
}

TEST(HfModelDir, NonExistentName) {
  config::ModelConfig m;
  m.name = "no/such/model-dir";
  expect_error(m, {"model.name 'no/such/model-dir' is not tiny|bert|distilbert|llama and not a local directory",
                   "never downloaded"});
}

TEST(HfModelDir, MissingConfigJson) {
  const auto d = fresh_dir("no_config");
  expect_error(named(d), {d.string(), "no config.json"});
}

TEST(HfModelDir, BadConfigJson) {
  const auto d = fresh_dir("bad_json");
  write_text(d / "config.json", "{\"model_type\": \"bert\", ");
  expect_error(named(d), {"config.json", "not valid JSON"});
  write_text(d / "config.json", R"({"model_type": "bert", "hidden_size": "wide"})");
  expect_error(named(d), {"'hidden_size'", "expected an integer"});
  write_text(d / "config.json", R"({"model_type": "bert", "hidden_size": 10, "num_attention_heads": 3})");
  expect_error(named(d), {"not divisible"});
  write_text(d / "config.json", R"({"model_type": "bert", "hidden_act": "mish"})");
  expect_error(named(d), {"activation 'mish' is not supported", "gelu_new"});
}

TEST(HfModelDir, UnknownModelType) {
  const auto d = fresh_dir("roberta");
  write_text(d / "config.json", R"({"model_type": "roberta", "vocab_size": 50})");
  expect_error(named(d), {"unsupported model_type 'roberta'", "supported: bert, distilbert"});
  write_text(d / "config.json", R"({"vocab_size": 50})");
  expect_error(named(d), {"no \"model_type\""});
}

TEST(HfModelDir, WrongTensorShape) {
  const auto d = model_dir("shape", kBertConfig,
                           [](TensorMap& w) { w["encoder.layer.1.attention.self.key.weight"] = torch::zeros({16, 8}); });
  expect_error(named(d), {"tensor 'encoder.layer.1.attention.self.key.weight'", "[16, 8]", "[16, 16]"});
}

TEST(HfModelDir, MissingTensor) {
  const auto d = model_dir("missing", kDistilConfig,
                           [](TensorMap& w) { w.erase("transformer.layer.0.ffn.lin2.bias"); });
  expect_error(named(d), {"missing tensor 'transformer.layer.0.ffn.lin2.bias'", "model.safetensors"});
}

TEST(HfModelDir, UnexpectedTensor) {
  const auto d = model_dir("unexpected", kDistilConfig, [](TensorMap& w) { w["classifier.weight"] = torch::zeros({2, 16}); });
  expect_error(named(d), {"unexpected tensor 'classifier.weight'"});
}

TEST(HfModelDir, WrongDtype) {
  const auto d = model_dir("dtype", kBertConfig, [](TensorMap& w) {
    w["embeddings.LayerNorm.weight"] = torch::ones({16}, torch::kLong);
  });
  expect_error(named(d), {"tensor 'embeddings.LayerNorm.weight'", "dtype", "floating"});
}

TEST(HfModelDir, TruncatedSafetensors) {
  const auto d = model_dir("truncated");
  const auto f = d / "model.safetensors";
  fs::resize_file(f, fs::file_size(f) - 64);
  expect_error(named(d), {f.string()});
}

TEST(HfModelDir, VocabSizeMismatchNamesBoth) {
  const auto d = model_dir("vocab");
  expect_error(named(d), {"vocab_size 50", "corpus has 30522"}, 30522);
}

TEST(HfModelDir, OnlyPytorchBin) {
  const auto d = fresh_dir("bin_only");
  write_text(d / "config.json", kBertConfig);
  write_text(d / "pytorch_model.bin", "x");
  expect_error(named(d), {"no model.safetensors"});
}

TEST(HfModelDir, SequenceLongerThanPositions) {
  auto enc = make_encoder(named(model_dir("positions")), kVocab);
  try {
    enc->forward(torch::ones({1, 30}, torch::kLong), torch::ones({1, 30}, torch::kLong));
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("exceeds max_position_embeddings 24"), std::string::npos) << e.what();
  }
}

TEST(HfRandom, NamesAndInitLikeTransformers) {
  config::ModelConfig m;
  m.name = "bert";
  m.dim = 32, m.layers = 2, m.heads = 4, m.ff_dim = 64, m.max_positions = 40;
  torch::manual_seed(0);
  auto enc = make_encoder(m, 1000);
  const auto s = encoder_state(*enc);
  for (const char* k : {"embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                        "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight",
                        "encoder.layer.1.attention.self.query.weight", "encoder.layer.1.attention.output.LayerNorm.bias",
                        "encoder.layer.1.intermediate.dense.weight", "encoder.layer.1.output.dense.bias",
                        "pooler.dense.weight", "pooler.dense.bias"})
    EXPECT_TRUE(s.count(k)) << k;
  // The pooler is state (exported) but not a parameter (never optimised).
  for (const auto& p : enc->named_parameters()) EXPECT_EQ(p.key().rfind("pooler.", 0), std::string::npos) << p.key();
  const auto& w = s.at("encoder.layer.0.intermediate.dense.weight");
  EXPECT_NEAR(w.std().item<double>(), 0.02, 0.002);
  EXPECT_EQ(s.at("encoder.layer.0.intermediate.dense.bias").abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(torch::equal(s.at("embeddings.LayerNorm.weight"), torch::ones({32})));
  EXPECT_EQ(s.at("embeddings.word_embeddings.weight")[0].abs().sum().item<double>(), 0.0);  // [PAD] row

  m.name = "distilbert";
  auto d = make_encoder(m, 1000);
  const auto ds = encoder_state(*d);
  for (const char* k : {"transformer.layer.1.attention.q_lin.weight", "transformer.layer.1.attention.out_lin.bias",
                        "transformer.layer.1.sa_layer_norm.weight", "transformer.layer.1.ffn.lin1.weight",
                        "transformer.layer.1.output_layer_norm.bias"})
    EXPECT_TRUE(ds.count(k)) << k;
  EXPECT_EQ(ds.size(), 4u + 2u * 16u);
}

TEST(HfConfigValidation, ModelNameMustBeKnownOrADirectory) {
  try {
    config::from_yaml(YAML::Load("model: {name: bert-base-uncased}"));
    FAIL() << "no error";
  } catch (const config::ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "model.name 'bert-base-uncased' is not tiny|bert|distilbert|llama and not a local directory (models are "
                 "never downloaded)");
  }
  EXPECT_EQ(config::from_yaml(YAML::Load("model: {name: distilbert}")).model.name, "distilbert");
  const auto d = fresh_dir("as_config");
  EXPECT_EQ(config::from_yaml(YAML::Load("model: {name: '" + d.string() + "'}")).model.name, d.string());
  // Built-in kinds keep the max_length <= max_positions check; a directory's limit comes from its config.json.
  EXPECT_THROW(config::from_yaml(YAML::Load("model: {name: bert, max_positions: 64}\ndata: {max_length: 128}")),
               config::ConfigError);
  EXPECT_NO_THROW(config::from_yaml(YAML::Load("model: {name: '" + d.string() + "', max_positions: 64}\n"
                                               "data: {max_length: 128}")));
}

TEST(HfRandom, Bf16AndFullyPaddedRowsStayFinite) {
  // The attention mask is built in the attention dtype (bf16 under CUDA autocast): padded keys get bf16's lowest
  // value, never -inf, so even a sequence without any real token gives finite outputs.
  for (const char* kind : {"bert", "distilbert"}) {
    config::ModelConfig m;
    m.name = kind;
    m.dim = 32, m.layers = 2, m.heads = 4, m.ff_dim = 64, m.max_positions = 16;
    torch::manual_seed(0);
    auto enc = make_encoder(m, 100);
    enc->eval();
    torch::NoGradGuard no_grad;
    const auto ids = torch::tensor({{5, 6, 7, 0}, {0, 0, 0, 0}});
    const auto mask = torch::tensor({{1, 1, 1, 0}, {0, 0, 0, 0}});
    const auto ref = enc->forward(ids, mask);
    EXPECT_TRUE(torch::isfinite(ref).all().item<bool>()) << kind;
    enc->to(torch::kBFloat16);
    const auto half = enc->forward(ids, mask);
    EXPECT_EQ(half.scalar_type(), torch::kBFloat16);
    EXPECT_TRUE(torch::isfinite(half).all().item<bool>()) << kind;
    const auto diff = (half.to(torch::kFloat) - ref).index({0, torch::indexing::Slice(0, 3)}).abs().max().item<double>();
    EXPECT_LT(diff, 0.1) << kind;
  }
}
