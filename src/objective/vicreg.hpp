#pragma once
// VICReg's variance and covariance terms (Bardes et al. 2022) on a set of vectors spread over the ranks
// (design.md §1.4): with C the unbiased covariance of the n rows of all ranks together and D features,
//   variance   = mean_d relu(var_target - sqrt(C_dd + 1e-4))
//   covariance = Σ_{i≠j} C_ij² / D
// Computed from the global Σx, Σxxᵀ and n (one all-reduce), so N ranks x B rows equal 1 rank x N·B rows.
#include <torch/torch.h>

#include "objective/objective.hpp"

namespace jepa::objective {

struct VarianceCovariance {
  torch::Tensor variance;    // scalars with graphs; 0 (with a graph) when fewer than 2 rows exist over all ranks
  torch::Tensor covariance;
  torch::Tensor rows;        // n over all ranks (a float scalar on x's device)
};

// x: [n_local, D] (any float dtype; computed in fp32).
VarianceCovariance variance_covariance(const torch::Tensor& x, const Collectives& c, double var_target);

}  // namespace jepa::objective
