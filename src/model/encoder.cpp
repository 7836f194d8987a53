#include "model/encoder.hpp"

#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "model/bert_encoder.hpp"
#include "model/distilbert_encoder.hpp"
#include "model/hf_config.hpp"
#include "model/llama_decoder.hpp"
#include "model/safetensors.hpp"
#include "model/tiny_encoder.hpp"

namespace jepa::model {
namespace fs = std::filesystem;

namespace {

// The backbones: model.name (or a model dir's model_type) -> builder. The one place their names are spelled.
struct Backbone {
  const char* name;
  EncoderPtr (*random)(const config::ModelConfig& cfg, int64_t vocab_size);  // model.name=<name>
  EncoderPtr (*from_hf)(const HfConfig& cfg);                                 // nullptr: no transformers twin
};

template <class E>
EncoderPtr hf_builder(const HfConfig& c) { return std::make_shared<E>(c); }

template <class E>
EncoderPtr hf_random(const config::ModelConfig& cfg, int64_t vocab_size) {
  return std::make_shared<E>(hf_config_from_model(cfg, vocab_size));
}

EncoderPtr tiny_random(const config::ModelConfig& cfg, int64_t vocab_size) {
  return std::make_shared<TinyEncoder>(vocab_size, cfg.dim, cfg.layers, cfg.heads, cfg.ff_dim, cfg.dropout,
                                       cfg.max_positions);
}

EncoderPtr llama_random(const config::ModelConfig& cfg, int64_t vocab_size) {
  return std::make_shared<LlamaDecoder>(llama_config_from_model(cfg, vocab_size));
}

const Backbone kBackbones[] = {
    {"tiny", tiny_random, nullptr},
    {"bert", hf_random<BertEncoder>, hf_builder<BertEncoder>},
    {"distilbert", hf_random<DistilBertEncoder>, hf_builder<DistilBertEncoder>},
    {"llama", llama_random, nullptr},  // a decoder (train.objective=llm_jepa), design.md §9
};

const Backbone* find_backbone(const std::string& name) {
  for (const auto& b : kBackbones)
    if (name == b.name) return &b;
  return nullptr;
}

EncoderPtr from_directory(const std::string& dir, int64_t vocab_size) {
  const HfConfig c = read_hf_config(dir);
  if (c.vocab_size != vocab_size)
    throw std::runtime_error("model '" + dir + "' has vocab_size " + std::to_string(c.vocab_size) +
                             " (config.json) but the corpus has " + std::to_string(vocab_size) +
                             " ids: prepare the corpus with jepa_prep --model-dir " + dir);
  auto enc = make_hf_encoder(c);
  const auto weights = fs::path(dir) / "model.safetensors";
  std::error_code ec;
  if (fs::exists(weights, ec)) {
    load_encoder_weights(*enc, load_safetensors(weights.string()), weights.string(), WeightSource::kHfDir);
  } else if (fs::exists(fs::path(dir) / "pytorch_model.bin", ec) || fs::exists(fs::path(dir) / "model.safetensors.index.json", ec)) {
    throw std::runtime_error("model '" + dir + "' has no model.safetensors (only pytorch_model.bin or sharded weights "
                             "are present); save it once with transformers: save_pretrained(dir, safe_serialization=True)");
  } else {
    std::cerr << "warning: model '" << dir << "' has no model.safetensors: the " << c.model_type
              << " encoder starts from random weights\n";
  }
  return enc;
}

}  // namespace

bool is_backbone(const std::string& name) { return find_backbone(name) != nullptr; }

bool is_hf_backbone(const std::string& name) {
  const auto* b = find_backbone(name);
  return b && b->from_hf;
}

std::string backbone_names(const std::string& sep, bool hf_only) {
  std::string out;
  for (const auto& b : kBackbones)
    if (!hf_only || b.from_hf) out += (out.empty() ? "" : sep) + std::string(b.name);
  return out;
}

EncoderPtr make_hf_encoder(const HfConfig& c) {
  const auto* b = find_backbone(c.model_type);
  if (!b || !b->from_hf) throw std::runtime_error("unsupported model_type '" + c.model_type + "' (supported: " + backbone_names(", ", true) + ")");
  return b->from_hf(c);
}

void share_layer_init(Encoder& enc) {
  torch::NoGradGuard no_grad;
  const auto layers = enc.layer_list();
  if (layers->size() < 2) return;
  const auto first = layers->ptr(0)->named_parameters();
  for (size_t i = 1; i < layers->size(); ++i)
    for (auto& p : layers->ptr(i)->named_parameters()) p.value().copy_(first[p.key()]);
}

EncoderPtr make_encoder(const config::ModelConfig& cfg, int64_t vocab_size) {
  if (const auto* b = find_backbone(cfg.name)) {
    auto enc = b->random(cfg, vocab_size);
    if (cfg.init == "shared") share_layer_init(*enc);
    return enc;
  }
  if (cfg.init == "shared")
    throw std::runtime_error("model.init=shared applies to random backbones (" + backbone_names(", ", false) +
                             "), not to the model directory '" + cfg.name + "' (its layers come from its weights)");
  std::error_code ec;
  if (!fs::is_directory(cfg.name, ec))
    throw std::runtime_error("model.name '" + cfg.name +
                             "' is not " + backbone_names("|", false) + " and not a local directory (models are never downloaded)");
  return from_directory(cfg.name, vocab_size);
}

}  // namespace jepa::model
