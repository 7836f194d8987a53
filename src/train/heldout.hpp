#pragma once
// Label-free quality of the target encoder on a fixed held-out set (design.md §1.5, "Held-out evaluation"): every
// eval.every steps, the mean-pooled target embeddings of eval.docs documents give RankMe effective rank, mean
// pairwise cosine and per-dimension std (collapse.hpp), plus Wang & Isola's (2020) alignment and uniformity on the
// unit sphere. Alignment's positive pairs are two views of each document: the full sequence and its span-masked
// context view (masks from (train.seed, epoch 0, doc)); uniformity is over the full views:
//   alignment  = mean_i ||z_i - z_i+||²                        (0 = views coincide)
//   uniformity = log mean_{i != j} exp(-2 ||z_i - z_j||²)      (-4 = spread out ... 0 = all in one point)
// The batches are read once; an evaluation draws no random numbers, so it never changes training.
#include <cstdint>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "data/batch.hpp"
#include "data/corpus.hpp"
#include "model/jepa.hpp"
#include "train/collapse.hpp"

namespace jepa::train {

struct HeldoutStats {
  CollapseStats collapse;
  double alignment = 0, uniformity = 0;
};

class HeldoutEval {
 public:
  // Documents [first, first + count) of `corpus`, in batches of `batch_size`.
  HeldoutEval(const data::CorpusReader& corpus, int64_t first, int64_t count, int64_t batch_size, int64_t max_length,
              const data::MaskParams& mask, uint64_t seed);
  HeldoutStats run(model::JepaImpl& model, const torch::Device& device) const;
  int64_t docs() const { return docs_; }

 private:
  std::vector<data::Batch> batches_;
  int64_t docs_ = 0;
};

// Alignment and uniformity of L2-normalised embeddings: z [N, D] and its positive views zp [N, D] (N >= 2).
std::pair<double, double> alignment_uniformity(const torch::Tensor& z, const torch::Tensor& zp);

}  // namespace jepa::train
