#include "train/collapse.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace jepa::train {

CollapseStats collapse_stats(const torch::Tensor& embeddings) {
  if (embeddings.dim() != 2 || embeddings.size(0) < 2 || embeddings.size(1) < 1)
    throw std::invalid_argument("collapse_stats: need an [N, D] matrix with N >= 2, got " + c10::str(embeddings.sizes()));
  torch::NoGradGuard no_grad;
  const auto x = embeddings.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const auto N = x.size(0);
  CollapseStats s;
  s.n = N;

  const auto sd = x.std(0, /*unbiased=*/false);
  s.std_mean = sd.mean().item<double>();
  s.std_min = sd.min().item<double>();

  const auto sv = torch::linalg_svdvals(x);
  const double total = sv.sum().item<double>();
  if (total > 0) {
    const auto p = sv / total + 1e-7;
    s.effective_rank = std::exp(-(p * p.log()).sum().item<double>());
  }

  // sum_{i,j} cos_ij = |sum_i u_i|^2 with u_i the unit rows; subtract the diagonal (|u_i|^2: 1, or 0 for a zero row).
  const auto norms = x.norm(2, 1, /*keepdim=*/true);
  const auto u = x / norms.clamp_min(1e-12);
  const double all = u.sum(0).pow(2).sum().item<double>();
  const double diag = u.pow(2).sum().item<double>();
  s.mean_cosine = (all - diag) / static_cast<double>(N * (N - 1));
  return s;
}

torch::Tensor mean_pool(const torch::Tensor& hidden, const torch::Tensor& attention_mask) {
  if (hidden.dim() != 3 || attention_mask.dim() != 2 || hidden.size(0) != attention_mask.size(0) ||
      hidden.size(1) != attention_mask.size(1))
    throw std::invalid_argument("mean_pool: hidden " + c10::str(hidden.sizes()) + " does not match attention_mask " +
                                c10::str(attention_mask.sizes()));
  const auto h = hidden.is_floating_point() && hidden.element_size() >= 4 ? hidden : hidden.to(torch::kFloat);
  const auto m = (attention_mask != 0).to(h.scalar_type()).unsqueeze(-1);  // [B, L, 1]
  return (h * m).sum(1) / m.sum(1).clamp_min(1.0);
}

}  // namespace jepa::train
