// Test-only driver for tests/golden/test_hf_encoders.py and test_export.py: loads a local Hugging Face model dir
// through make_encoder (exactly as jepa_dist does for model.name=DIR), runs it in eval mode, fp32 on CPU, and
// writes last_hidden_state.
//   jepa_golden_encoder_dump MODEL_DIR IN.safetensors OUT.safetensors [STATE.safetensors]
// IN holds input_ids and attention_mask ([B, L] integers); OUT gets last_hidden_state [B, L, D]. STATE, if given,
// gets the encoder's parameters and buffers by name (to compare names and values with transformers' state dict).
#include <iostream>

#include <torch/torch.h>

#include "config/config.hpp"
#include "model/encoder.hpp"
#include "model/hf_config.hpp"
#include "model/safetensors.hpp"

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::cerr << "usage: encoder_dump MODEL_DIR IN.safetensors OUT.safetensors [STATE.safetensors]\n";
    return 2;
  }
  try {
    torch::set_num_threads(1);
    jepa::config::ModelConfig mc;
    mc.name = argv[1];
    const auto hc = jepa::model::read_hf_config(argv[1]);
    auto enc = jepa::model::make_encoder(mc, hc.vocab_size);
    enc->eval();
    auto in = jepa::model::load_safetensors(argv[2]);
    torch::NoGradGuard no_grad;
    auto out = enc->forward(in.at("input_ids").to(torch::kLong), in.at("attention_mask").to(torch::kLong));
    jepa::model::save_safetensors(argv[3], {{"last_hidden_state", out}});
    if (argc == 5) jepa::model::save_safetensors(argv[4], jepa::model::encoder_state(*enc));
  } catch (const std::exception& e) {
    std::cerr << "encoder_dump: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
