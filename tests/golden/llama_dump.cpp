// Test-only driver for tests/golden/test_llama_decoder.py: builds our LlamaDecoder from a transformers
// LlamaConfig (config.json), loads a transformers state dict (model.safetensors) by name, and writes the logits of
// a padded batch.
//   jepa_golden_llama_dump CONFIG.json WEIGHTS.safetensors IN.safetensors OUT.safetensors
// IN holds input_ids and attention_mask ([B, L]); OUT gets logits [B, L, V] (fp32, CPU, no grad). A weight the
// decoder lacks, or one it has that WEIGHTS lacks, is an error (lm_head.weight is skipped when tied).
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "model/llama_decoder.hpp"
#include "model/safetensors.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: llama_dump CONFIG.json WEIGHTS.safetensors IN.safetensors OUT.safetensors\n";
    return 2;
  }
  try {
    torch::set_num_threads(1);
    std::ifstream f(argv[1]);
    const auto j = nlohmann::json::parse(f);
    jepa::model::LlamaConfig c;
    c.vocab_size = j.at("vocab_size").get<int64_t>();
    c.hidden_size = j.at("hidden_size").get<int64_t>();
    c.num_layers = j.at("num_hidden_layers").get<int64_t>();
    c.num_heads = j.at("num_attention_heads").get<int64_t>();
    c.num_kv_heads = j.at("num_key_value_heads").get<int64_t>();
    c.intermediate_size = j.at("intermediate_size").get<int64_t>();
    c.rms_norm_eps = j.at("rms_norm_eps").get<double>();
    c.rope_theta = j.contains("rope_theta") ? j.at("rope_theta").get<double>()
                                            : j.at("rope_parameters").at("rope_theta").get<double>();
    c.tie_word_embeddings = j.value("tie_word_embeddings", false);
    jepa::model::LlamaDecoder dec(c);
    auto weights = jepa::model::load_safetensors(argv[2]);
    torch::NoGradGuard no_grad;
    auto params = dec.named_parameters();
    for (const auto& p : params) {
      const auto it = weights.find(p.key());
      if (it == weights.end()) throw std::runtime_error("weights lack '" + p.key() + "'");
      p.value().copy_(it->second);
      weights.erase(it);
    }
    if (c.tie_word_embeddings) weights.erase("lm_head.weight");
    if (!weights.empty()) throw std::runtime_error("unexpected weight '" + weights.begin()->first + "'");
    dec.eval();
    auto in = jepa::model::load_safetensors(argv[3]);
    const auto h = dec.forward(in.at("input_ids").to(torch::kLong), in.at("attention_mask").to(torch::kLong));
    jepa::model::save_safetensors(argv[4], {{"logits", dec.logits(h).contiguous()}});
  } catch (const std::exception& e) {
    std::cerr << "llama_dump: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
