#include "objective/targets.hpp"

#include <stdexcept>

namespace jepa::objective {
namespace {

// The reference's targets: the target encoder's last hidden state.
class LastLayer : public Targets {
 public:
  torch::Tensor build(model::Encoder& enc, const torch::Tensor& ids, const torch::Tensor& mask) override {
    return enc.forward(ids, mask);
  }
};

// data2vec-style: mean of the top K layer outputs, each normalised.
class TopLayers : public Targets {
 public:
  TopLayers(int64_t k, std::string norm) : k_(k), norm_(std::move(norm)) {}
  torch::Tensor build(model::Encoder& enc, const torch::Tensor& ids, const torch::Tensor& mask) override {
    std::vector<torch::Tensor> layers;
    enc.forward(ids, mask, &layers);
    const auto n = static_cast<int64_t>(layers.size());
    if (k_ > n)
      throw std::runtime_error("jepa.target_layers " + std::to_string(k_) + " exceeds the encoder's " +
                               std::to_string(n) + " layers");
    torch::Tensor sum;
    for (int64_t l = n - k_; l < n; ++l) {
      auto t = normalize_layer(layers[static_cast<size_t>(l)], mask, norm_);
      sum = sum.defined() ? sum + t : t;
    }
    return k_ == 1 ? sum : sum / static_cast<double>(k_);
  }

 private:
  int64_t k_;
  std::string norm_;
};

}  // namespace

torch::Tensor normalize_layer(const torch::Tensor& h, const torch::Tensor& attention_mask, const std::string& norm) {
  constexpr double kEps = 1e-5;
  if (norm == "none") return h.to(torch::kFloat);
  const auto x = h.to(torch::kFloat);
  if (norm == "layer") return torch::layer_norm(x, {x.size(-1)}, {}, {}, kEps);
  if (norm == "instance") {
    const auto m = attention_mask.to(torch::kFloat).unsqueeze(-1);         // [B, L, 1]
    const auto n = m.sum(1, /*keepdim=*/true).clamp_min(1.0);              // real positions per sequence
    const auto mean = (x * m).sum(1, true) / n;                            // [B, 1, D]
    const auto var = ((x - mean).pow(2) * m).sum(1, true) / n;             // biased, as instance_norm
    return (x - mean) / (var + kEps).sqrt();
  }
  throw std::runtime_error("jepa.target_norm '" + norm + "' is not one of none, layer, instance");
}

std::unique_ptr<Targets> make_targets(const config::JepaConfig& cfg) {
  if (cfg.target_layers == 1 && cfg.target_norm == "none") return std::make_unique<LastLayer>();
  if (cfg.target_layers < 1) throw std::runtime_error("jepa.target_layers must be >= 1");
  if (cfg.target_norm != "none" && cfg.target_norm != "layer" && cfg.target_norm != "instance")
    throw std::runtime_error("jepa.target_norm '" + cfg.target_norm + "' is not one of none, layer, instance");
  return std::make_unique<TopLayers>(cfg.target_layers, cfg.target_norm);
}

}  // namespace jepa::objective
