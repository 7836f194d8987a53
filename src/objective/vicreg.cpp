#include "objective/vicreg.hpp"

namespace jepa::objective {

VarianceCovariance variance_covariance(const torch::Tensor& x_in, const Collectives& c, double var_target) {
  const auto x = x_in.to(torch::kFloat);
  const auto D = x.size(1);
  // Two passes, as a numerically careful covariance does: the global mean first ([Σx | n], no gradient needed:
  // Σ(x - μ) = 0, so the covariance's derivative through μ vanishes), then the centred Σ(x - μ)(x - μ)ᵀ.
  // n stays a device tensor (no host synchronisation); fewer than 2 rows give 0.
  const auto stats = c.sum(torch::cat({x.detach().sum(0), torch::full({1}, static_cast<double>(x.size(0)), x.options())}));
  const auto n = stats.slice(0, D, D + 1).squeeze(0);
  const auto mean = stats.slice(0, 0, D) / n.clamp_min(1.0);
  const auto centred = x - mean;
  const auto valid = (n >= 2).to(torch::kFloat);
  const auto cov = global_sum(c, centred.t().mm(centred)) / (n - 1).clamp_min(1.0);
  const auto diag = cov.diagonal();
  VarianceCovariance out;
  out.rows = n;
  out.variance = torch::relu(var_target - torch::sqrt(diag + 1e-4)).mean() * valid;
  out.covariance = (cov.pow(2).sum() - diag.pow(2).sum()) / static_cast<double>(D) * valid;
  return out;
}

}  // namespace jepa::objective
