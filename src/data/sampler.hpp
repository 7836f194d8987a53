#pragma once
// Which documents each rank reads at each step (DistributedSampler semantics, drop_last).
// Global order = a seeded permutation per epoch; global batch g of an epoch is positions [g*G, (g+1)*G)
// of that permutation (G = batch_per_rank * world); rank r takes the contiguous slice [r*B, (r+1)*B).
// Everything is index arithmetic on the global step, so the only data state to checkpoint is the step.
#include <cstdint>
#include <vector>

namespace jepa::data {

struct SampleRef {
  int64_t doc;    // index into the corpus (also the mask's sample index)
  int64_t epoch;
};

class DistributedSampler {
 public:
  // Throws std::invalid_argument when the corpus holds fewer documents than one global batch.
  DistributedSampler(int64_t n_docs, int64_t batch_per_rank, int rank, int world, uint64_t seed);

  int64_t global_batch() const { return batch_ * world_; }
  int64_t batches_per_epoch() const { return n_docs_ / global_batch(); }
  int64_t epoch_of(int64_t step) const { return step / batches_per_epoch(); }

  // This rank's samples of global batch number `step` (counted from the start of training).
  std::vector<SampleRef> local_batch(int64_t step) const;
  // The epoch's order of all documents (a pure function of seed and epoch).
  std::vector<int64_t> permutation(int64_t epoch) const;

 private:
  int64_t n_docs_, batch_;
  int rank_, world_;
  uint64_t seed_;
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<int64_t> cached_perm_;
};

}  // namespace jepa::data
