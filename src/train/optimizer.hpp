#pragma once
// AdamW whose update runs as one fused multi-tensor kernel (aten::_fused_adamw_, what PyTorch's AdamW(fused=True)
// uses) instead of LibTorch's per-parameter loop. The state (step, exp_avg, exp_avg_sq per parameter) and therefore
// optimizer.pt are LibTorch AdamW's, so checkpoints stay interchangeable.
#include <torch/optim/adamw.h>

namespace jepa::train {

class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace jepa::train
