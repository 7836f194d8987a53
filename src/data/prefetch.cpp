#include "data/prefetch.hpp"

namespace jepa::data {

Prefetcher::Prefetcher(const Loader& loader, bool on, int64_t end) : loader_(loader), on_(on), end_(end) {}

Prefetcher::~Prefetcher() {
  if (pending_.valid()) pending_.wait();  // the worker reads loader_: it must finish before the loader goes
}

Batch Prefetcher::get(int64_t step) {
  Batch out;
  if (pending_.valid()) {
    // Collected even when it is another step's (a caller that skipped ahead): the worker owns the loader's caches
    // until then. Another step's error is dropped: that step was not asked for.
    if (pending_step_ == step) {
      out = pending_.get();
    } else {
      try {
        pending_.get();
      } catch (const std::exception&) {
      }
    }
  }
  if (!out.input_ids.defined()) out = loader_.batch(step);
  if (on_ && step + 1 < end_) {
    pending_step_ = step + 1;
    pending_ = std::async(std::launch::async, [this, next = step + 1] { return loader_.batch(next); });
  }
  return out;
}

}  // namespace jepa::data
