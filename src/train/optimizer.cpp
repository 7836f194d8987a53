#include "train/optimizer.hpp"

#include <ATen/ops/_fused_adamw.h>
#include <torch/torch.h>

namespace jepa::train {

torch::Tensor FusedAdamW::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    torch::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    TORCH_CHECK(!o.amsgrad(), "FusedAdamW: amsgrad is not supported");
    std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, steps;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;  // as AdamW: parameters without a gradient are left alone
      auto& slot = state_[p.unsafeGetTensorImpl()];
      if (!slot) {
        auto st = std::make_unique<torch::optim::AdamWParamState>();
        st->step(0);
        st->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        st->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        slot = std::move(st);
      }
      auto& st = static_cast<torch::optim::AdamWParamState&>(*slot);
      st.step(st.step() + 1);
      params.push_back(p);
      grads.push_back(p.grad());
      exp_avgs.push_back(st.exp_avg());
      exp_avg_sqs.push_back(st.exp_avg_sq());
      // The kernel reads the (already incremented) step count from a float tensor, as PyTorch's fused path does.
      auto step_t = torch::full({}, static_cast<double>(st.step()), p.options().dtype(torch::kFloat));
      steps.push_back(skipped_.defined() ? step_t - skipped_ : step_t);
    }
    if (params.empty()) continue;
    at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, o.lr(), std::get<0>(o.betas()),
                      std::get<1>(o.betas()), o.weight_decay(), o.eps(), /*amsgrad=*/false, /*maximize=*/false,
                      /*grad_scale=*/divisor_.defined() ? std::optional<at::Tensor>(divisor_) : std::nullopt,
                      /*found_inf=*/skip_.defined() ? std::optional<at::Tensor>(skip_) : std::nullopt);
  }
  divisor_ = torch::Tensor();
  if (skip_.defined()) skipped_ = skipped_.defined() ? skipped_ + skip_ : skip_.clone();
  skip_ = torch::Tensor();
  return loss;
}

void FusedAdamW::fold_skips() {
  if (!skipped_.defined()) return;
  const auto n = static_cast<int64_t>(skipped_.item<double>());
  skipped_ = torch::Tensor();
  if (n == 0) return;
  for (auto& [key, slot] : state_) {
    auto& st = static_cast<torch::optim::AdamWParamState&>(*slot);
    st.step(st.step() - n);
  }
}

namespace {
std::vector<torch::Tensor> defined_grads(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters)
    if (p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

}  // namespace

torch::Tensor gradient_norm(const std::vector<torch::Tensor>& parameters) {
  torch::NoGradGuard no_grad;
  const auto grads = defined_grads(parameters);
  if (grads.empty()) return {};
  if (!grads.front().device().is_cpu()) {  // one multi-tensor kernel on a GPU
    const auto norms = torch::_foreach_norm(grads, 2);
    return norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
  }
  // On CPU the BLAS dot of each gradient with itself reads memory about twice as fast as _foreach_norm's
  // reduction (measured 11.9 vs 26.3 ms over DistilBERT-base's 66 M gradients, 2 threads).
  std::vector<torch::Tensor> squares;
  squares.reserve(grads.size());
  for (const auto& g : grads) {
    const auto flat = g.reshape({-1});
    squares.push_back(torch::dot(flat, flat));
  }
  return torch::stack(squares).sum().sqrt();
}

torch::Tensor clip_divisor(const torch::Tensor& total, double max_norm) {
  return torch::clamp((total + 1e-6) / max_norm, 1.0).to(torch::kFloat);
}

std::vector<std::string> keep_configured_hyperparameters(torch::optim::Optimizer& optimizer,
                                                         const std::vector<torch::optim::AdamWOptions>& configured) {
  std::vector<std::string> changed;
  auto& groups = optimizer.param_groups();
  for (size_t g = 0; g < groups.size() && g < configured.size(); ++g) {
    auto& o = static_cast<torch::optim::AdamWOptions&>(groups[g].options());
    const auto& want = configured[g];
    const auto note = [&](const char* key, double saved, double now) {
      if (saved != now)
        changed.push_back("optim." + std::string(key) + ": checkpoint " + std::to_string(saved) + ", config " +
                          std::to_string(now) + (groups.size() > 1 ? " (group " + std::to_string(g) + ")" : ""));
    };
    note("beta1", std::get<0>(o.betas()), std::get<0>(want.betas()));
    note("beta2", std::get<1>(o.betas()), std::get<1>(want.betas()));
    note("eps", o.eps(), want.eps());
    note("weight_decay", o.weight_decay(), want.weight_decay());
    o.betas(want.betas()).eps(want.eps()).weight_decay(want.weight_decay());
  }
  return changed;
}

}  // namespace jepa::train
