#pragma once
// Representation-collapse metrics of a set of embeddings (one row per sequence), used by the trainer's log line
// (monitor.*) and by jepa_eval. Definitions (docs/evaluation.md):
//   std_mean / std_min  population std (divide by N) of each of the D dimensions over the N rows; mean / min over D.
//                       Population, not sample, std: defined for any N and exact for constructed data.
//                       A collapsed encoder (every input -> one point) gives 0.
//   effective_rank      RankMe (Garrido et al. 2023): singular values s_k of the *uncentred* N x D matrix,
//                       p_k = s_k / sum(s) + 1e-7, erank = exp(-sum_k p_k log p_k). In [1, min(N, D)]; k equal
//                       singular values give k; an all-zero matrix gives 0.
//   mean_cosine         mean cosine similarity over the N(N-1) ordered pairs of different rows (the off-diagonal
//                       mean of the cosine matrix); a zero row has cosine 0 with everything. 1 = all rows parallel.
// Everything is computed in float64 on the CPU (N x D is small: a batch, or a held-out split).
#include <cstdint>

#include <torch/types.h>

namespace jepa::train {

struct CollapseStats {
  double std_mean = 0, std_min = 0, effective_rank = 0, mean_cosine = 0;
  int64_t n = 0;  // rows the stats were computed over
};

// embeddings: [N, D], N >= 2 (std::invalid_argument otherwise), any dtype / device.
CollapseStats collapse_stats(const torch::Tensor& embeddings);

// Mean over the real (attention_mask != 0) positions: hidden [B, L, D], attention_mask [B, L] -> [B, D] (float32
// or wider, on hidden's device). A row without any real token gives zeros.
torch::Tensor mean_pool(const torch::Tensor& hidden, const torch::Tensor& attention_mask);

}  // namespace jepa::train
