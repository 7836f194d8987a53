#pragma once
// Background prefetch (data.prefetch, design.md §3): while step s trains, a worker thread builds the batch of step
// s + 1 (corpus read, vocabulary check, span masks, collation). A batch is a pure function of its step, so
// prefetching changes when a batch is built, never what it holds. An error while building (e.g. a corrupt
// document) is rethrown by get() of that step, on the training thread.
#include <cstdint>
#include <future>

#include "data/batch.hpp"

namespace jepa::data {

class Prefetcher {
 public:
  // `end`: the first step not to prefetch (train.steps). on == false: get() builds each batch when asked.
  Prefetcher(const Loader& loader, bool on, int64_t end);
  ~Prefetcher();  // waits for a batch still being built
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // The batch of `step` (the prefetched one when it is that step's), then starts building step + 1.
  Batch get(int64_t step);

 private:
  const Loader& loader_;
  bool on_;
  int64_t end_;
  int64_t pending_step_ = -1;
  std::future<Batch> pending_;
};

}  // namespace jepa::data
