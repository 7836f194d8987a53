#include "data/sampler.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

#include "data/permutation.hpp"
#include "data/rng.hpp"

namespace jepa::data {

namespace {
// Fisher-Yates with our own RNG: identical on every platform and every rank.
void shuffle(std::vector<int64_t>& v, Rng& rng) {
  for (auto i = static_cast<int64_t>(v.size()) - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(i + 1)));
    std::swap(v[static_cast<size_t>(i)], v[static_cast<size_t>(j)]);
  }
}
}  // namespace

DistributedSampler::DistributedSampler(int64_t n_docs, int64_t batch_per_rank, int rank, int world, uint64_t seed)
    : n_docs_(n_docs), batch_(batch_per_rank), rank_(rank), world_(world), seed_(seed) {
  if (batch_ < 1 || world_ < 1 || rank_ < 0 || rank_ >= world_)
    throw std::invalid_argument("sampler: bad batch/rank/world");
  if (n_docs_ < global_batch())
    throw std::invalid_argument("corpus has " + std::to_string(n_docs_) + " documents, fewer than one global batch (" +
                                std::to_string(global_batch()) + " = batch_size x world)");
}

std::vector<int64_t> DistributedSampler::docs_at(int64_t epoch, int64_t first, int64_t n) const {
  const KeyedPermutation perm(static_cast<uint64_t>(n_docs_),
                              derive_seed({0x7065726dULL /* "perm" */, seed_, static_cast<uint64_t>(epoch)}));
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = static_cast<int64_t>(perm(static_cast<uint64_t>(first + i)));
  return out;
}

std::vector<int64_t> DistributedSampler::permutation(int64_t epoch) const { return docs_at(epoch, 0, n_docs_); }

void DistributedSampler::group_by_length(int64_t window, LengthFn lengths) {
  if (window < 1) throw std::invalid_argument("sampler: length window must be at least 1");
  window_ = window;
  lengths_ = std::move(lengths);
}

const std::vector<int64_t>& DistributedSampler::window_order(int64_t epoch, int64_t w) const {
  if (cached_window_key_ == std::make_pair(epoch, w)) return cached_window_;
  const int64_t G = global_batch();
  const int64_t n_batches = std::min(window_, batches_per_epoch() - w * window_);
  const auto docs = docs_at(epoch, w * window_ * G, n_batches * G);
  const auto len = lengths_(docs);
  std::vector<size_t> order(docs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return len[a] < len[b]; });
  std::vector<int64_t> batches(static_cast<size_t>(n_batches));
  std::iota(batches.begin(), batches.end(), 0);
  Rng rng(derive_seed({0x6c677270ULL /* "lgrp" */, seed_, static_cast<uint64_t>(epoch), static_cast<uint64_t>(w)}));
  shuffle(batches, rng);
  cached_window_.clear();
  for (const int64_t g : batches)
    for (int64_t k = 0; k < G; ++k) cached_window_.push_back(docs[order[static_cast<size_t>(g * G + k)]]);
  cached_window_key_ = {epoch, w};
  return cached_window_;
}

std::vector<SampleRef> DistributedSampler::local_batch(int64_t step) const {
  const int64_t epoch = epoch_of(step);
  const int64_t in_epoch = step % batches_per_epoch();
  std::vector<int64_t> docs;
  if (window_ > 0) {
    const auto& window = window_order(epoch, in_epoch / window_);
    const auto first = window.begin() + (in_epoch % window_) * global_batch() + rank_ * batch_;
    docs.assign(first, first + batch_);
  } else {
    docs = docs_at(epoch, in_epoch * global_batch() + rank_ * batch_, batch_);
  }
  std::vector<SampleRef> out;
  out.reserve(docs.size());
  for (const int64_t d : docs) out.push_back({d, epoch});
  return out;
}

}  // namespace jepa::data
