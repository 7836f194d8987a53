#include "data/sampler.hpp"

#include <numeric>
#include <stdexcept>
#include <string>

#include "data/rng.hpp"

namespace jepa::data {

DistributedSampler::DistributedSampler(int64_t n_docs, int64_t batch_per_rank, int rank, int world, uint64_t seed)
    : n_docs_(n_docs), batch_(batch_per_rank), rank_(rank), world_(world), seed_(seed) {
  if (batch_ < 1 || world_ < 1 || rank_ < 0 || rank_ >= world_)
    throw std::invalid_argument("sampler: bad batch/rank/world");
  if (n_docs_ < global_batch())
    throw std::invalid_argument("corpus has " + std::to_string(n_docs_) + " documents, fewer than one global batch (" +
                                std::to_string(global_batch()) + " = batch_size x world)");
}

std::vector<int64_t> DistributedSampler::permutation(int64_t epoch) const {
  if (epoch == cached_epoch_) return cached_perm_;
  std::vector<int64_t> perm(static_cast<size_t>(n_docs_));
  std::iota(perm.begin(), perm.end(), 0);
  // Fisher-Yates with our own RNG: identical on every platform and every rank.
  Rng rng(derive_seed({0x7065726dULL /* "perm" */, seed_, static_cast<uint64_t>(epoch)}));
  for (int64_t i = n_docs_ - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(i + 1)));
    std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
  }
  cached_epoch_ = epoch;
  cached_perm_ = perm;
  return perm;
}

std::vector<SampleRef> DistributedSampler::local_batch(int64_t step) const {
  const int64_t epoch = epoch_of(step);
  const int64_t in_epoch = step % batches_per_epoch();
  if (epoch != cached_epoch_) permutation(epoch);
  std::vector<SampleRef> out;
  out.reserve(static_cast<size_t>(batch_));
  const int64_t first = in_epoch * global_batch() + rank_ * batch_;
  for (int64_t i = 0; i < batch_; ++i) out.push_back({cached_perm_[static_cast<size_t>(first + i)], epoch});
  return out;
}

}  // namespace jepa::data
