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

namespace {
// A stand-in for the corpus's document lengths: varied, deterministic.
std::vector<int64_t> fake_lengths(const std::vector<int64_t>& docs) {
  std::vector<int64_t> out;
  for (auto d : docs) out.push_back(3 + (d * 37) % 120);
  return out;
}

DistributedSampler grouped(int64_t n, int64_t batch, int rank, int world, int64_t window) {
  DistributedSampler s(n, batch, rank, world, 11);
  s.group_by_length(window, fake_lengths);
  return s;
}

// Padded positions / all positions over an epoch, each rank's batch padded to its own longest document.
double padding_fraction(const DistributedSampler& s) {
  int64_t real = 0, padded = 0;
  for (int64_t step = 0; step < s.batches_per_epoch(); ++step) {
    std::vector<int64_t> docs;
    for (const auto& r : s.local_batch(step)) docs.push_back(r.doc);
    const auto len = fake_lengths(docs);
    const int64_t longest = *std::max_element(len.begin(), len.end());
    for (auto l : len) real += l;
    padded += longest * static_cast<int64_t>(len.size());
  }
  return 1.0 - static_cast<double>(real) / static_cast<double>(padded);
}
}  // namespace

TEST(SamplerGroupByLength, AnEpochUsesTheSameDocumentsOnceEach) {
  const int64_t n = 1003, B = 4;
  DistributedSampler plain0(n, B, 0, 2, 11), plain1(n, B, 1, 2, 11);
  auto r0 = grouped(n, B, 0, 2, 10), r1 = grouped(n, B, 1, 2, 10);
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    std::multiset<int64_t> got, want;
    for (int64_t g = 0; g < plain0.batches_per_epoch(); ++g) {
      const int64_t step = epoch * plain0.batches_per_epoch() + g;
      for (const auto* s : {&r0, &r1})
        for (const auto& r : s->local_batch(step)) {
          EXPECT_EQ(r.epoch, epoch);
          got.insert(r.doc);
        }
      for (const auto* s : {&plain0, &plain1})
        for (const auto& r : s->local_batch(step)) want.insert(r.doc);
    }
    EXPECT_EQ(got, want) << "epoch " << epoch;
    EXPECT_EQ(std::set<int64_t>(got.begin(), got.end()).size(), got.size()) << "a document twice in epoch " << epoch;
  }
}

TEST(SamplerGroupByLength, RanksStillPartitionTheOneRankGlobalBatch) {
  const int64_t n = 400, B = 3;
  auto one = grouped(n, 2 * B, 0, 1, 7), r0 = grouped(n, B, 0, 2, 7), r1 = grouped(n, B, 1, 2, 7);
  for (int64_t step = 0; step < 2 * one.batches_per_epoch(); ++step) {
    const auto g = one.local_batch(step), a = r0.local_batch(step), b = r1.local_batch(step);
    for (int64_t i = 0; i < B; ++i) {
      ASSERT_EQ(a[static_cast<size_t>(i)].doc, g[static_cast<size_t>(i)].doc) << "step " << step;
      ASSERT_EQ(b[static_cast<size_t>(i)].doc, g[static_cast<size_t>(B + i)].doc) << "step " << step;
    }
  }
}

TEST(SamplerGroupByLength, ABatchIsAPureFunctionOfTheStep) {  // resume and any visiting order give the same batches
  const int64_t n = 500, B = 4;
  auto seq = grouped(n, B, 1, 2, 5);
  std::vector<std::vector<int64_t>> in_order;
  for (int64_t step = 0; step < 3 * seq.batches_per_epoch(); ++step) {
    in_order.emplace_back();
    for (const auto& r : seq.local_batch(step)) in_order.back().push_back(r.doc);
  }
  auto fresh = grouped(n, B, 1, 2, 5);
  for (int64_t step = static_cast<int64_t>(in_order.size()) - 1; step >= 0; step -= 7) {
    std::vector<int64_t> docs;
    for (const auto& r : fresh.local_batch(step)) docs.push_back(r.doc);
    EXPECT_EQ(docs, in_order[static_cast<size_t>(step)]) << "step " << step;
  }
}

TEST(SamplerGroupByLength, CutsPaddingAndShufflesTheBatchOrderInAWindow) {
  const int64_t n = 2000, B = 8;
  DistributedSampler plain(n, B, 0, 1, 11);
  auto s = grouped(n, B, 0, 1, 25);
  const double before = padding_fraction(plain), after = padding_fraction(s);
  EXPECT_GT(before, 0.3);
  EXPECT_LT(after, before / 5) << "padding " << before << " -> " << after;
  // Within a window the batches are not served shortest first: the order of their lengths is shuffled.
  std::vector<int64_t> longest;
  for (int64_t step = 0; step < 25; ++step) {
    std::vector<int64_t> docs;
    for (const auto& r : s.local_batch(step)) docs.push_back(r.doc);
    const auto len = fake_lengths(docs);
    longest.push_back(*std::max_element(len.begin(), len.end()));
  }
  EXPECT_FALSE(std::is_sorted(longest.begin(), longest.end()));
  EXPECT_THROW(s.group_by_length(0, fake_lengths), std::invalid_argument);
}
