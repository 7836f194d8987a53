#pragma once
// Hugging Face model directories: config.json <-> HfConfig, and loading a model.safetensors into one of our
// transformers-compatible encoders (bert_encoder.hpp, distilbert_encoder.hpp).
//
// Which tensors a checkpoint may hold (docs/architecture.md, "Backbones"):
//   required   every parameter of the encoder (names exactly as transformers' BertModel / DistilBertModel)
//   optional   bert `pooler.*`: kept as a frozen buffer when present (exported unchanged), initialised like
//              transformers when absent (e.g. a BertForMaskedLM checkpoint, which has no pooler)
//   skipped    `embeddings.position_ids`, `embeddings.token_type_ids` (transformers buffers, we derive them),
//              masked-LM heads `cls.*` (bert) and `vocab_transform.* / vocab_layer_norm.* / vocab_projector.*`
//              (distilbert)
//   renamed    a `bert.` / `distilbert.` prefix is stripped; old LayerNorm names `.gamma`/`.beta` -> `.weight`/`.bias`
//   error      anything else (one line naming the tensor), a wrong shape (both shapes), a non-float dtype.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "model/safetensors.hpp"

namespace jepa::model {

class Encoder;

// The architecture of a bert / distilbert encoder, in transformers' terms.
struct HfConfig {
  std::string model_type = "bert";  // bert | distilbert
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;         // distilbert: dim
  int64_t num_layers = 12;           // distilbert: n_layers
  int64_t num_heads = 12;            // distilbert: n_heads
  int64_t intermediate_size = 3072;  // distilbert: hidden_dim
  int64_t max_positions = 512;       // max_position_embeddings
  std::string activation = "gelu";   // hidden_act / activation: gelu | gelu_new | gelu_pytorch_tanh | relu | silu
  double hidden_dropout = 0.1;       // hidden_dropout_prob / dropout
  double attention_dropout = 0.1;    // attention_probs_dropout_prob / attention_dropout
  double layer_norm_eps = 1e-12;     // bert: layer_norm_eps; distilbert: always 1e-12
  double initializer_range = 0.02;
  int64_t type_vocab_size = 2;       // bert only
  int64_t pad_token_id = 0;
  bool sinusoidal_pos_embds = false;  // distilbert only: positions initialised sinusoidally
};

// The activations we implement (for error messages and validation).
const char* supported_activations();

// Reads DIR/config.json. Keys transformers would default are defaulted the same way. Throws std::runtime_error,
// one line naming the file and the problem (missing file, bad JSON, unsupported model_type, wrong key type, ...).
HfConfig read_hf_config(const std::string& dir);
// Parses an already loaded config.json (`source` names it in errors).
HfConfig parse_hf_config(const nlohmann::json& j, const std::string& source);
// The full config.json transformers expects for AutoModel (model_type, architectures, every size, ...).
nlohmann::json to_hf_json(const HfConfig& c);
// model.name=bert|distilbert: the architecture from model.dim/layers/heads/ff_dim/dropout/max_positions.
HfConfig hf_config_from_model(const config::ModelConfig& m, int64_t vocab_size);

// Where loaded tensors come from, which decides how lenient the loader is.
enum class WeightSource {
  kHfDir,        // a transformers checkpoint: prefixes stripped, known-harmless extras skipped, pooler optional
  kOwnEncoder,   // our own state (jepa checkpoint, export): names must match exactly, nothing skipped
};

// Copies `weights` into `enc` (parameters and buffers, matched by name) after checking every name, shape and
// dtype; `file` names the source in errors. Float16/bfloat16/float64 tensors are converted to the model's dtype.
void load_encoder_weights(Encoder& enc, const TensorMap& weights, const std::string& file, WeightSource source);
// Parameters + buffers of `enc` by name: exactly the tensors of the transformers model's state dict.
TensorMap encoder_state(const Encoder& enc);

}  // namespace jepa::model
