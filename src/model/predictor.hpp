#pragma once
// The JEPA predictor: Linear(D, D*mult) -> GELU (exact erf) -> Dropout -> Linear(D*mult, D).
// Registered as `net.0` / `net.3`, the names nn.Sequential gives the same stack in PyTorch.
#include <torch/torch.h>

namespace jepa::model {

class PredictorImpl : public torch::nn::Module {
 public:
  PredictorImpl(int64_t dim, int64_t hidden_mult, double dropout);
  torch::Tensor forward(const torch::Tensor& x) { return net->forward(x); }

 private:
  torch::nn::Sequential net{nullptr};
};
TORCH_MODULE(Predictor);

}  // namespace jepa::model
