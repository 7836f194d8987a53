#pragma once
// A keyed pseudo-random bijection of [0, n), evaluated one index at a time: O(1) memory, so an epoch's shuffle of
// 10^8 documents costs nothing to hold (design.md §3). A balanced Feistel network (kRounds rounds, splitmix64 round
// function, per-round keys derived from the key) permutes the smallest domain of 2^(2h) >= n values; indices that
// land outside [0, n) are mapped again until they fall inside (cycle walking), which keeps it a bijection of [0, n).
// The domain is < 4n, so a walk takes under 4 rounds of the network on average.
#include <array>
#include <cstdint>

namespace jepa::data {

class KeyedPermutation {
 public:
  KeyedPermutation(uint64_t n, uint64_t key);
  uint64_t size() const { return n_; }
  // The image of i (i < n).
  uint64_t operator()(uint64_t i) const;

 private:
  static constexpr int kRounds = 6;
  uint64_t feistel(uint64_t x) const;
  uint64_t n_;
  unsigned half_bits_ = 1;
  uint64_t half_mask_ = 1;
  std::array<uint64_t, kRounds> round_keys_{};
};

}  // namespace jepa::data
