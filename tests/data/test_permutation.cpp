#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "data/permutation.hpp"

using jepa::data::KeyedPermutation;

namespace {
std::vector<uint64_t> materialise(const KeyedPermutation& p) {
  std::vector<uint64_t> out(p.size());
  for (uint64_t i = 0; i < p.size(); ++i) out[i] = p(i);
  return out;
}
}  // namespace

TEST(KeyedPermutation, IsABijectionForEverySize) {
  // Powers of two, one off either side, odd sizes and the degenerate ones (cycle walking is exercised whenever n
  // is not a power of 4).
  for (uint64_t n : {1ULL, 2ULL, 3ULL, 4ULL, 5ULL, 15ULL, 16ULL, 17ULL, 100ULL, 1000ULL, 4095ULL, 4096ULL, 4097ULL, 65537ULL}) {
    auto v = materialise(KeyedPermutation(n, 42));
    std::sort(v.begin(), v.end());
    std::vector<uint64_t> id(n);
    std::iota(id.begin(), id.end(), 0);
    EXPECT_EQ(v, id) << "n = " << n;
  }
  EXPECT_THROW(KeyedPermutation(10, 1)(10), std::out_of_range);
}

TEST(KeyedPermutation, KeysGiveDifferentOrders) {
  const auto a = materialise(KeyedPermutation(1000, 1)), b = materialise(KeyedPermutation(1000, 2));
  EXPECT_EQ(a, materialise(KeyedPermutation(1000, 1)));
  int same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  EXPECT_LT(same, 10);  // ~1 expected for independent permutations
  int fixed = 0;
  for (size_t i = 0; i < a.size(); ++i) fixed += a[i] == i;
  EXPECT_LT(fixed, 10);
}

// Shuffle quality: over many keys, where index i lands is uniform over [0, n) for every i (chi-square per i, and
// for the pair (p(0), p(1)) so adjacent indices are not correlated). n = 10 needs cycle walking (domain 16).
TEST(KeyedPermutation, ImagesAreUniformOverKeys) {
  const uint64_t n = 10;
  const int keys = 20000;
  std::vector<std::vector<int>> where(n, std::vector<int>(n, 0));
  std::vector<int> pair(n * n, 0);
  for (int k = 0; k < keys; ++k) {
    KeyedPermutation p(n, static_cast<uint64_t>(k) * 7919 + 3);
    for (uint64_t i = 0; i < n; ++i) ++where[i][p(i)];
    ++pair[p(0) * n + p(1)];
  }
  // chi-square, 9 degrees of freedom: P(X > 27.9) = 0.001
  for (uint64_t i = 0; i < n; ++i) {
    double chi = 0;
    const double expect = static_cast<double>(keys) / n;
    for (uint64_t j = 0; j < n; ++j) chi += std::pow(where[i][j] - expect, 2) / expect;
    EXPECT_LT(chi, 27.9) << "index " << i;
  }
  // the pair takes the 90 off-diagonal cells uniformly: 89 degrees of freedom, P(X > 135) ~ 0.001
  double chi = 0;
  const double expect = static_cast<double>(keys) / (n * (n - 1));
  for (uint64_t a = 0; a < n; ++a)
    for (uint64_t b = 0; b < n; ++b) {
      if (a == b) {
        EXPECT_EQ(pair[a * n + b], 0);
        continue;
      }
      chi += std::pow(pair[a * n + b] - expect, 2) / expect;
    }
  EXPECT_LT(chi, 135.0);
}
