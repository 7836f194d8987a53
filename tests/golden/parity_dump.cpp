// Test-only driver for tests/golden/test_parity.py: runs the real Trainer for K steps and dumps, as safetensors,
// the initial weights, every batch (with the CPU generator state it starts from), the first step's (clipped) gradients, per-step losses and the final weights.
//   jepa_golden_parity_dump OUT_DIR K --config FILE [overrides...]
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "config/compose.hpp"
#include "config/config.hpp"
#include "model/safetensors.hpp"
#include "train/trainer.hpp"

int main(int argc, char** argv) {
  if (argc < 5 || std::string(argv[3]) != "--config") {
    std::cerr << "usage: parity_dump OUT_DIR K --config FILE [overrides...]\n";
    return 2;
  }
  const std::filesystem::path out = argv[1];
  const int steps = std::stoi(argv[2]);
  std::vector<std::string> overrides(argv + 5, argv + argc);
  torch::set_num_threads(1);
  jepa::train::Trainer trainer(jepa::config::from_yaml(jepa::config::compose(argv[4], overrides)));
  std::filesystem::create_directories(out);
  jepa::model::save_safetensors((out / "init.safetensors").string(), trainer.model().state());

  nlohmann::json log = nlohmann::json::array();
  for (int s = 0; s < steps; ++s) {
    const auto b = trainer.batch(s);
    jepa::model::save_safetensors((out / ("batch_" + std::to_string(s) + ".safetensors")).string(),
                                  {{"input_ids", b.input_ids},
                                   {"attention_mask", b.attention_mask},
                                   {"masked_input_ids", b.masked_input_ids},
                                   {"pred_mask", b.pred_mask.to(torch::kUInt8)},
                                   // the CPU generator as the step starts: dropout draws from it, so the reference
                                   // can replay the same dropout masks by starting from the same state
                                   {"rng_state", at::detail::getDefaultCPUGenerator().get_state()}});
    const auto st = trainer.step(b);
    log.push_back({{"step", s}, {"loss", st.loss}, {"lr", st.lr}, {"ema_m", st.ema_m}, {"grad_norm", st.grad_norm}});
    if (s == 0) {
      jepa::model::TensorMap grads;
      auto& m = trainer.model();
      for (const auto& p : m.context_encoder->named_parameters()) grads["context_encoder." + p.key()] = p.value().grad();
      for (const auto& p : m.predictor->named_parameters()) grads["predictor." + p.key()] = p.value().grad();
      jepa::model::save_safetensors((out / "grads_0.safetensors").string(), grads);
    }
  }
  jepa::model::save_safetensors((out / "final.safetensors").string(), trainer.model().state());
  std::ofstream(out / "steps.json") << log.dump(1);
  return 0;
}
