#pragma once
// AdamW whose update runs as one fused multi-tensor kernel (aten::_fused_adamw_, what PyTorch's AdamW(fused=True)
// uses) instead of LibTorch's per-parameter loop. The state (step, exp_avg, exp_avg_sq per parameter) and therefore
// optimizer.pt are LibTorch AdamW's, so checkpoints stay interchangeable.
#include <string>
#include <vector>

#include <torch/optim/adamw.h>

namespace jepa::train {

class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;
  // train.on_nonfinite: the next step() is skipped on the device where `flag` (a float scalar) is 1, without the
  // host reading it; skipped steps do not advance Adam's step count (bias correction), which fold_skips() then
  // writes into the host-side state (before a checkpoint).
  void skip_if(torch::Tensor flag) { skip_ = std::move(flag); }
  void fold_skips();
  // The next step() uses every gradient divided by `divisor` (a float scalar on the parameters' device), inside the
  // fused kernel (its grad_scale): gradient clipping without a pass of its own over the gradients (clip_divisor).
  void divide_grads_by(torch::Tensor divisor) { divisor_ = std::move(divisor); }

 private:
  torch::Tensor skip_, skipped_;  // this step's flag; steps skipped since the last fold (device scalars)
  torch::Tensor divisor_;         // this step's gradient divisor, if any
};

// The total 2-norm of the gradients (a device scalar, never read back; undefined without gradients): LibTorch's
// clip_grad_norm_ total within float rounding (on CPU from BLAS dot products, faster than _foreach_norm; on a GPU
// one _foreach_norm).
torch::Tensor gradient_norm(const std::vector<torch::Tensor>& parameters);
// clip_grad_norm_'s rule, min(1, max_norm / (total + 1e-6)), as a divisor for FusedAdamW::divide_grads_by:
// max(1, (total + 1e-6) / max_norm). Exactly 1 (no change, bit for bit) when the norm is within max_norm; otherwise
// g / divisor is within an ulp of clip_grad_norm_'s g · (max_norm / (total + 1e-6)).
torch::Tensor clip_divisor(const torch::Tensor& total, double max_norm);

// After loading optimizer.pt, whose param groups carry the hyper-parameters the checkpoint was written with: puts
// back the configured betas, eps and weight decay of every group (`configured[g]`; lr is set every step anyway)
// and returns one line per value that differed, for the log.
std::vector<std::string> keep_configured_hyperparameters(torch::optim::Optimizer& optimizer,
                                                         const std::vector<torch::optim::AdamWOptions>& configured);

}  // namespace jepa::train
