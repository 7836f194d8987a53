#include "data/permutation.hpp"

#include <stdexcept>
#include <string>

#include "data/rng.hpp"

namespace jepa::data {

KeyedPermutation::KeyedPermutation(uint64_t n, uint64_t key) : n_(n) {
  while (half_bits_ < 32 && (uint64_t{1} << (2 * half_bits_)) < n_) ++half_bits_;  // 2^64 covers any n
  half_mask_ = half_bits_ == 32 ? 0xffffffffULL : (uint64_t{1} << half_bits_) - 1;
  for (int r = 0; r < kRounds; ++r) round_keys_[static_cast<size_t>(r)] = derive_seed({key, static_cast<uint64_t>(r)});
}

uint64_t KeyedPermutation::feistel(uint64_t x) const {
  uint64_t left = x >> half_bits_, right = x & half_mask_;
  for (const uint64_t k : round_keys_) {
    uint64_t s = right ^ k;
    const uint64_t next = left ^ (splitmix64(s) & half_mask_);
    left = right;
    right = next;
  }
  return (left << half_bits_) | right;
}

uint64_t KeyedPermutation::operator()(uint64_t i) const {
  if (i >= n_) throw std::out_of_range("KeyedPermutation: index " + std::to_string(i) + " >= " + std::to_string(n_));
  uint64_t x = feistel(i);
  while (x >= n_) x = feistel(x);
  return x;
}

}  // namespace jepa::data
