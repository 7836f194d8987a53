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

}  // namespace

std::unique_ptr<Targets> make_targets(const std::string& kind) {
  if (kind == "last_layer") return std::make_unique<LastLayer>();
  throw std::runtime_error("jepa.targets '" + kind + "' is not supported (supported: last_layer)");
}

}  // namespace jepa::objective
