#include "model/encoder.hpp"

#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "model/bert_encoder.hpp"
#include "model/distilbert_encoder.hpp"
#include "model/hf_config.hpp"
#include "model/safetensors.hpp"
#include "model/tiny_encoder.hpp"

namespace jepa::model {
namespace fs = std::filesystem;

namespace {

EncoderPtr build(const HfConfig& c) {
  if (c.model_type == "bert") return std::make_shared<BertEncoder>(c);
  if (c.model_type == "distilbert") return std::make_shared<DistilBertEncoder>(c);
  throw std::runtime_error("unsupported model_type '" + c.model_type + "' (supported: bert, distilbert)");
}

EncoderPtr from_directory(const std::string& dir, int64_t vocab_size) {
  const HfConfig c = read_hf_config(dir);
  if (c.vocab_size != vocab_size)
    throw std::runtime_error("model '" + dir + "' has vocab_size " + std::to_string(c.vocab_size) +
                             " (config.json) but the corpus has " + std::to_string(vocab_size) +
                             " ids: prepare the corpus with jepa_prep --model-dir " + dir);
  auto enc = build(c);
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

EncoderPtr make_encoder(const config::ModelConfig& cfg, int64_t vocab_size) {
  if (cfg.name == "tiny")
    return std::make_shared<TinyEncoder>(vocab_size, cfg.dim, cfg.layers, cfg.heads, cfg.ff_dim, cfg.dropout,
                                         cfg.max_positions);
  if (is_hf_kind(cfg.name)) return build(hf_config_from_model(cfg, vocab_size));
  std::error_code ec;
  if (!fs::is_directory(cfg.name, ec))
    throw std::runtime_error("model.name '" + cfg.name +
                             "' is not tiny|bert|distilbert and not a local directory (models are never downloaded)");
  return from_directory(cfg.name, vocab_size);
}

}  // namespace jepa::model
