#include "model/hf_config.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <torch/torch.h>

#include "model/encoder.hpp"

namespace jepa::model {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// `where` is "config.json '<path>'" or "model.name=bert"; every message is one line.
[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw std::runtime_error(where + ": " + what);
}

int64_t get_int(const json& j, const char* key, int64_t def, const std::string& src) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_float()) {  // 512.0 is still an integer
    const double d = it->get<double>();
    if (std::floor(d) == d && std::abs(d) < 9e15) return static_cast<int64_t>(d);
  }
  fail(src, std::string("key '") + key + "' is " + it->dump() + ", expected an integer");
}

double get_double(const json& j, const char* key, double def, const std::string& src) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  if (!it->is_number()) fail(src, std::string("key '") + key + "' is " + it->dump() + ", expected a number");
  return it->get<double>();
}

std::string get_string(const json& j, const char* key, const std::string& def, const std::string& src) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  if (!it->is_string()) fail(src, std::string("key '") + key + "' is " + it->dump() + ", expected a string");
  return it->get<std::string>();
}

bool get_bool(const json& j, const char* key, bool def, const std::string& src) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  if (!it->is_boolean()) fail(src, std::string("key '") + key + "' is " + it->dump() + ", expected true or false");
  return it->get<bool>();
}

bool known_activation(const std::string& a) {
  return a == "gelu" || a == "gelu_new" || a == "gelu_pytorch_tanh" || a == "relu" || a == "silu" || a == "swish";
}

// How each transformers architecture spells the shared fields in config.json (and its default depth).
struct Spelling {
  const char* model_type;
  const char* architecture;
  const char *hidden, *layers, *heads, *intermediate, *activation, *hidden_dropout, *attention_dropout;
  int64_t default_layers;
};
const Spelling kSpellings[] = {
    {"bert", "BertModel", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act",
     "hidden_dropout_prob", "attention_probs_dropout_prob", 12},
    {"distilbert", "DistilBertModel", "dim", "n_layers", "n_heads", "hidden_dim", "activation", "dropout",
     "attention_dropout", 6},
};

const Spelling* spelling(const std::string& model_type) {
  for (const auto& s : kSpellings)
    if (model_type == s.model_type) return &s;
  return nullptr;
}

// "bert, distilbert" (with sep ", ") from the table.
std::string model_types(const std::string& sep) {
  std::string out;
  for (const auto& s : kSpellings) out += (out.empty() ? "" : sep) + std::string(s.model_type);
  return out;
}

void check(const HfConfig& c, const std::string& src) {
  auto positive = [&](const char* key, int64_t v) {
    if (v < 1) fail(src, std::string("key '") + key + "' is " + std::to_string(v) + ", must be >= 1");
  };
  const Spelling& sp = *spelling(c.model_type);
  const bool bert = c.model_type == "bert";
  positive("vocab_size", c.vocab_size);
  positive(sp.hidden, c.hidden_size);
  positive(sp.layers, c.num_layers);
  positive(sp.heads, c.num_heads);
  positive(sp.intermediate, c.intermediate_size);
  positive("max_position_embeddings", c.max_positions);
  if (bert) positive("type_vocab_size", c.type_vocab_size);
  if (c.hidden_size % c.num_heads != 0)
    fail(src, "hidden size " + std::to_string(c.hidden_size) + " is not divisible by the number of attention heads " +
                  std::to_string(c.num_heads));
  if (!known_activation(c.activation))
    fail(src, "activation '" + c.activation + "' is not supported (supported: " + supported_activations() + ")");
  if (!(c.hidden_dropout >= 0 && c.hidden_dropout < 1) || !(c.attention_dropout >= 0 && c.attention_dropout < 1))
    fail(src, "dropout probabilities must be in [0, 1)");
  if (!(c.layer_norm_eps > 0)) fail(src, "layer_norm_eps must be > 0");
}

}  // namespace

const char* supported_activations() { return "gelu, gelu_new, gelu_pytorch_tanh, relu, silu"; }

HfConfig parse_hf_config(const json& j, const std::string& source) {
  const std::string src = "config.json '" + source + "'";
  if (!j.is_object()) fail(src, "not a JSON object");
  HfConfig c;
  const auto type_it = j.find("model_type");
  if (type_it == j.end() || !type_it->is_string()) fail(src, "no \"model_type\" (supported: " + model_types(", ") + ")");
  c.model_type = type_it->get<std::string>();
  const Spelling* sp = spelling(c.model_type);
  if (!sp) fail(src, "unsupported model_type '" + c.model_type + "' (supported: " + model_types(", ") + ")");
  const bool bert = c.model_type == "bert";
  c.vocab_size = get_int(j, "vocab_size", 30522, src);
  c.hidden_size = get_int(j, sp->hidden, 768, src);
  c.num_layers = get_int(j, sp->layers, sp->default_layers, src);
  c.num_heads = get_int(j, sp->heads, 12, src);
  c.intermediate_size = get_int(j, sp->intermediate, 3072, src);
  c.max_positions = get_int(j, "max_position_embeddings", 512, src);
  c.activation = get_string(j, sp->activation, "gelu", src);
  c.hidden_dropout = get_double(j, sp->hidden_dropout, 0.1, src);
  c.attention_dropout = get_double(j, sp->attention_dropout, 0.1, src);
  c.layer_norm_eps = bert ? get_double(j, "layer_norm_eps", 1e-12, src) : 1e-12;  // hard-coded in DistilBERT
  c.initializer_range = get_double(j, "initializer_range", 0.02, src);
  if (bert) c.type_vocab_size = get_int(j, "type_vocab_size", 2, src);
  c.pad_token_id = j.contains("pad_token_id") && j["pad_token_id"].is_null() ? -1 : get_int(j, "pad_token_id", 0, src);
  if (bert) {
    const auto pos = get_string(j, "position_embedding_type", "absolute", src);
    if (pos != "absolute")
      fail(src, "position_embedding_type '" + pos + "' is not supported (supported: absolute)");
    if (get_bool(j, "is_decoder", false, src) || get_bool(j, "add_cross_attention", false, src))
      fail(src, "decoder BERT models (is_decoder / add_cross_attention) are not supported");
  } else {
    c.sinusoidal_pos_embds = get_bool(j, "sinusoidal_pos_embds", false, src);
  }
  check(c, src);
  return c;
}

HfConfig read_hf_config(const std::string& dir) {
  const auto path = (fs::path(dir) / "config.json").string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw std::runtime_error("model directory '" + dir + "' has no config.json (expected a Hugging Face model dir)");
  std::ifstream in(path);
  if (!in) throw std::runtime_error("config.json '" + path + "': cannot open");
  json j;
  try {
    j = json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error("config.json '" + path + "': not valid JSON");
  }
  return parse_hf_config(j, path);
}

json to_hf_json(const HfConfig& c) {
  const Spelling* sp = spelling(c.model_type);
  if (!sp) throw std::runtime_error("to_hf_json: unsupported model_type '" + c.model_type + "'");
  json j = {{"architectures", {sp->architecture}},
            {"model_type", c.model_type},
            {"vocab_size", c.vocab_size},
            {sp->hidden, c.hidden_size},
            {sp->layers, c.num_layers},
            {sp->heads, c.num_heads},
            {sp->intermediate, c.intermediate_size},
            {sp->activation, c.activation},
            {sp->hidden_dropout, c.hidden_dropout},
            {sp->attention_dropout, c.attention_dropout},
            {"max_position_embeddings", c.max_positions},
            {"initializer_range", c.initializer_range},
            {"pad_token_id", c.pad_token_id >= 0 ? json(c.pad_token_id) : json(nullptr)},
            {"torch_dtype", "float32"}};
  if (c.model_type == "bert") {
    j.update({{"type_vocab_size", c.type_vocab_size},
              {"layer_norm_eps", c.layer_norm_eps},
              {"position_embedding_type", "absolute"},
              {"use_cache", true},
              {"classifier_dropout", nullptr}});
  } else {
    j.update({{"sinusoidal_pos_embds", c.sinusoidal_pos_embds},
              {"qa_dropout", 0.1},
              {"seq_classif_dropout", 0.2},
              {"tie_weights_", true}});
  }
  return j;
}

HfConfig hf_config_from_model(const config::ModelConfig& m, int64_t vocab_size) {
  if (!spelling(m.name)) throw std::runtime_error("hf_config_from_model: model.name '" + m.name + "' is not " + model_types("|"));
  HfConfig c;
  c.model_type = m.name;
  c.vocab_size = vocab_size;
  c.hidden_size = m.dim;
  c.num_layers = m.layers;
  c.num_heads = m.heads;
  c.intermediate_size = m.ff_dim;
  c.max_positions = m.max_positions;
  c.hidden_dropout = c.attention_dropout = m.dropout;
  check(c, "model.name=" + m.name);
  return c;
}

// ---- weights ---------------------------------------------------------------------------------------------------

TensorMap encoder_state(const Encoder& enc) {
  TensorMap out;
  for (const auto& p : enc.named_parameters()) out[p.key()] = p.value();
  for (const auto& b : enc.named_buffers()) out[b.key()] = b.value();
  return out;
}

namespace {

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

// transformers-side tensors that carry nothing our encoder needs.
bool harmless_extra(const std::string& model_type, const std::string& name) {
  if (name == "embeddings.position_ids" || name == "embeddings.token_type_ids") return true;
  if (model_type == "bert") return starts_with(name, "cls.");
  return starts_with(name, "vocab_transform.") || starts_with(name, "vocab_layer_norm.") ||
         starts_with(name, "vocab_projector.");
}

// Tensors an HF checkpoint may lack: we keep our initialisation (transformers does the same).
bool optional_tensor(const std::string& model_type, const std::string& name) {
  return model_type == "bert" && starts_with(name, "pooler.");
}

}  // namespace

void load_encoder_weights(Encoder& enc, const TensorMap& weights, const std::string& file, WeightSource source) {
  const HfConfig* hc = enc.hf_config();
  const std::string type = hc ? hc->model_type : "";
  const bool hf = source == WeightSource::kHfDir;
  auto mine = encoder_state(enc);

  TensorMap renamed;
  for (const auto& [raw, t] : weights) {
    std::string name = raw;
    if (hf) {
      if (!type.empty() && starts_with(name, type + ".")) name = name.substr(type.size() + 1);
      if (!mine.count(name) && ends_with(name, ".gamma")) name = name.substr(0, name.size() - 6) + ".weight";
      if (!mine.count(name) && ends_with(name, ".beta")) name = name.substr(0, name.size() - 5) + ".bias";
      if (!mine.count(name) && harmless_extra(type, name)) continue;
    }
    if (!mine.count(name))
      throw std::runtime_error("weights '" + file + "': unexpected tensor '" + raw + "' (not part of a " +
                               (type.empty() ? std::string("this") : type) + " encoder)");
    if (renamed.count(name))
      throw std::runtime_error("weights '" + file + "': tensor '" + name + "' appears twice (with and without prefix)");
    renamed[name] = t;
  }
  for (const auto& [name, t] : mine) {
    const auto it = renamed.find(name);
    if (it == renamed.end()) {
      if (hf && optional_tensor(type, name)) continue;
      throw std::runtime_error("weights '" + file + "': missing tensor '" + name + "'");
    }
    const auto& w = it->second;
    if (w.sizes() != t.sizes())
      throw std::runtime_error("weights '" + file + "': tensor '" + name + "' has shape " + c10::str(w.sizes()) +
                               ", the model expects " + c10::str(t.sizes()));
    if (!at::isFloatingType(w.scalar_type()))
      throw std::runtime_error("weights '" + file + "': tensor '" + name + "' has dtype " +
                               c10::toString(w.scalar_type()) + ", expected a floating type (F32, F16, BF16, F64)");
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : mine) {
    const auto it = renamed.find(name);
    if (it != renamed.end()) t.copy_(it->second);
  }
}

}  // namespace jepa::model
