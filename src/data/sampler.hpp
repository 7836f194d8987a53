#pragma once
// Which documents each rank reads at each step (DistributedSampler semantics, drop_last).
// Global order = a seeded permutation per epoch (a KeyedPermutation, computed per index: nothing of the corpus's
// size is held); global batch g of an epoch is positions [g*G, (g+1)*G)
// of that permutation (G = batch_per_rank * world); rank r takes the contiguous slice [r*B, (r+1)*B).
// Everything is index arithmetic on the global step, so the only data state to checkpoint is the step.
#include <cstdint>
#include <functional>
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
  // The epoch's order of all documents (a pure function of seed and epoch), materialised (tests, tools).
  std::vector<int64_t> permutation(int64_t epoch) const;

  // Length grouping (data.group_by_length, design.md §3): each window of `window` consecutive global batches of the
  // epoch's order is sorted by document length and cut into global batches again, and their order within the window
  // is shuffled (seeded by seed, epoch, window). An epoch uses the same documents as without grouping; a batch holds
  // documents of similar length, so less padding. `lengths(docs)` gives their token counts. Still a pure function of
  // the step, and rank r still takes slice r of the global batch.
  using LengthFn = std::function<std::vector<int64_t>(const std::vector<int64_t>&)>;
  void group_by_length(int64_t window, LengthFn lengths);

 private:
  int64_t n_docs_, batch_;
  int rank_, world_;
  uint64_t seed_;
  int64_t window_ = 0;  // 0: no length grouping
  LengthFn lengths_;
  // The global batches of one window, in their shuffled order, concatenated (key: epoch, window index).
  mutable std::pair<int64_t, int64_t> cached_window_key_{-1, -1};
  mutable std::vector<int64_t> cached_window_;
  const std::vector<int64_t>& window_order(int64_t epoch, int64_t w) const;
  // Positions [first, first + n) of the epoch's order (a KeyedPermutation keyed by seed and epoch).
  std::vector<int64_t> docs_at(int64_t epoch, int64_t first, int64_t n) const;
};

}  // namespace jepa::data
