#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "data/sampler.hpp"

using jepa::data::DistributedSampler;

TEST(Sampler, PermutationIsSeededAndComplete) {
  DistributedSampler s(101, 4, 0, 1, 42);
  auto p0 = s.permutation(0), p1 = s.permutation(1);
  auto sorted = p0;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 101; ++i) ASSERT_EQ(sorted[static_cast<size_t>(i)], i);
  EXPECT_NE(p0, p1);
  EXPECT_EQ(p0, DistributedSampler(101, 4, 0, 1, 42).permutation(0));
  EXPECT_NE(p0, DistributedSampler(101, 4, 0, 1, 43).permutation(0));
}

TEST(Sampler, DropLastAndEpochs) {
  DistributedSampler s(10, 3, 0, 1, 1);
  EXPECT_EQ(s.batches_per_epoch(), 3);
  EXPECT_EQ(s.epoch_of(2), 0);
  EXPECT_EQ(s.epoch_of(3), 1);
  EXPECT_EQ(s.local_batch(3)[0].epoch, 1);
  EXPECT_EQ(s.local_batch(3)[0].doc, s.permutation(1)[0]);
  EXPECT_THROW(DistributedSampler(5, 3, 0, 2, 1), std::invalid_argument);
}

TEST(Sampler, RanksPartitionEachGlobalBatchAndMatchOneRank) {
  const int64_t n = 50, B = 3;
  DistributedSampler one(n, 2 * B, 0, 1, 7), r0(n, B, 0, 2, 7), r1(n, B, 1, 2, 7);
  std::set<int64_t> seen;
  for (int64_t step = 0; step < one.batches_per_epoch(); ++step) {
    auto a = r0.local_batch(step), b = r1.local_batch(step), g = one.local_batch(step);
    for (int64_t i = 0; i < B; ++i) {
      EXPECT_EQ(a[static_cast<size_t>(i)].doc, g[static_cast<size_t>(i)].doc);
      EXPECT_EQ(b[static_cast<size_t>(i)].doc, g[static_cast<size_t>(B + i)].doc);
      EXPECT_TRUE(seen.insert(a[static_cast<size_t>(i)].doc).second);
      EXPECT_TRUE(seen.insert(b[static_cast<size_t>(i)].doc).second);
    }
  }
  EXPECT_EQ(static_cast<int64_t>(seen.size()), (n / (2 * B)) * 2 * B);  // every sample once, drop_last aside
}
