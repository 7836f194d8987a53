#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <set>

#include "data/batch.hpp"
#include "data/masker.hpp"

using namespace jepa::data;

namespace {
std::vector<int32_t> sequence(int body, const SpecialIds& sp, int pad_tail = 0) {
  std::vector<int32_t> ids{sp.cls};
  for (int i = 0; i < body; ++i) ids.push_back(1000 + i);
  ids.push_back(sp.sep);
  for (int i = 0; i < pad_tail; ++i) ids.push_back(sp.pad);
  return ids;
}
}  // namespace

TEST(Masker, NeverMasksSpecialTokens) {
  SpecialIds sp;
  for (uint64_t s = 0; s < 2000; ++s) {
    auto ids = sequence(1 + static_cast<int>(s % 60), sp, static_cast<int>(s % 3));
    ids.insert(ids.begin() + 1 + static_cast<long>(s % 2), sp.sep);  // a special id inside the body too
    Rng rng = mask_rng(7, 0, s);
    const auto m = span_mask(ids, sp, {0.3, 5}, rng);
    ASSERT_EQ(m.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i)
      if (ids[i] == sp.cls || ids[i] == sp.sep || ids[i] == sp.pad) ASSERT_EQ(m[i], 0) << "seed " << s << " pos " << i;
  }
}

TEST(Masker, ReachesTargetWhereReachable) {
  SpecialIds sp;
  for (double ratio : {0.15, 0.3, 0.5}) {
    for (int body = 3; body <= 126; body += 7) {
      const auto ids = sequence(body, sp);
      const int64_t n = static_cast<int64_t>(ids.size());
      const int64_t target = mask_target(n, ratio);
      for (uint64_t s = 0; s < 50; ++s) {
        Rng rng = mask_rng(1, 2, s);
        const auto m = span_mask(ids, sp, {ratio, 5}, rng);
        const int64_t masked = std::accumulate(m.begin(), m.end(), int64_t{0});
        // target <= body maskable positions here, so the loop stops exactly at or just past the target
        // (a span can overshoot by at most its length - 1).
        ASSERT_GE(masked, std::min<int64_t>(target, body));
        ASSERT_LE(masked, body);
      }
    }
  }
}

TEST(Masker, UnreachableTargetStopsAfterAttemptBudget) {
  SpecialIds sp;
  // Only specials: nothing can be masked, loop must end (4n attempts) with an empty mask.
  std::vector<int32_t> ids{sp.cls, sp.sep};
  Rng rng(3);
  const auto m = span_mask(ids, sp, {0.9, 5}, rng);
  EXPECT_EQ(std::accumulate(m.begin(), m.end(), 0), 0);
}

TEST(Masker, TargetRoundsHalfToEvenLikePython) {
  EXPECT_EQ(mask_target(5, 0.5), 2);    // round(2.5) = 2
  EXPECT_EQ(mask_target(7, 0.5), 4);    // round(3.5) = 4
  EXPECT_EQ(mask_target(3, 0.5), 2);    // round(1.5) = 2
  EXPECT_EQ(mask_target(128, 0.3), 38); // round(38.4)
  EXPECT_EQ(mask_target(2, 0.1), 1);    // max(1, round(0.2))
}

TEST(Masker, SpanLengthDistributionMatchesReference) {
  // Reference: max(1, floor(Exp(rate 1/5))). E = P(X<1)*1 + sum_{k>=1} k P(floor X = k) = (1 - q) + q/(1 - q), q = e^-0.2.
  for (double mean : {5.0, 3.0, 10.0}) {
    const double q = std::exp(-1.0 / mean);
    const double expected = (1.0 - q) + q / (1.0 - q);
    Rng rng(99);
    double sum = 0;
    const int N = 100000;
    std::vector<int> hist(8, 0);
    for (int i = 0; i < N; ++i) {
      const auto len = draw_span_length(mean, 1 << 30, rng);
      sum += static_cast<double>(len);
      if (len < 8) hist[static_cast<size_t>(len)]++;
    }
    EXPECT_NEAR(sum / N, expected, 0.05 * expected) << "mean span " << mean;
    // P(len = 1) = P(X < 2) = 1 - q^2 (floor 0 and 1 both give 1)
    EXPECT_NEAR(hist[1] / double(N), 1 - q * q, 0.01);
    EXPECT_NEAR(hist[3] / double(N), std::pow(q, 3) - std::pow(q, 4), 0.01);
  }
}

TEST(Masker, SpanLengthCappedBySequence) {
  Rng rng(5);
  for (int i = 0; i < 1000; ++i) EXPECT_LE(draw_span_length(50, 4, rng), 4);
}

TEST(Masker, MaskIsPureFunctionOfSeedEpochIndex) {
  SpecialIds sp;
  const auto ids = sequence(40, sp);
  Rng a = mask_rng(42, 3, 17), b = mask_rng(42, 3, 17);
  // Draw unrelated samples in between: must not matter.
  Rng other = mask_rng(42, 3, 18);
  span_mask(ids, sp, {0.3, 5}, other);
  EXPECT_EQ(span_mask(ids, sp, {0.3, 5}, a), span_mask(ids, sp, {0.3, 5}, b));
  // Different epoch / index / seed change it (overwhelmingly likely over a few tries).
  int differ = 0;
  for (uint64_t k = 0; k < 5; ++k) {
    Rng c = mask_rng(42, 3, 100 + k), d = mask_rng(42, 4, 100 + k);
    differ += span_mask(ids, sp, {0.3, 5}, c) != span_mask(ids, sp, {0.3, 5}, d);
  }
  EXPECT_GE(differ, 4);
}

TEST(Batch, CollatePadsToLongestAndMasksContextView) {
  SpecialIds sp;
  std::vector<std::vector<int32_t>> seqs{{sp.cls, 5, 6, 7, sp.sep}, {sp.cls, 8, sp.sep}};
  std::vector<std::vector<uint8_t>> masks{{0, 1, 0, 1, 0}, {0, 1, 0}};
  const auto b = collate(seqs, masks, sp);
  ASSERT_EQ(b.input_ids.sizes(), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(b.tokens, 8);
  EXPECT_EQ(b.input_ids[1][3].item<int64_t>(), sp.pad);
  EXPECT_EQ(b.attention_mask[1].sum().item<int64_t>(), 3);
  EXPECT_EQ(b.masked_input_ids[0][1].item<int64_t>(), sp.mask);
  EXPECT_EQ(b.masked_input_ids[0][2].item<int64_t>(), 6);
  EXPECT_EQ(b.masked_input_ids[0][3].item<int64_t>(), sp.mask);
  EXPECT_EQ(b.input_ids[0][1].item<int64_t>(), 5);  // target view untouched
  EXPECT_EQ(b.pred_mask.sum().item<int64_t>(), 3);
}

TEST(Batch, WithSpecialsTruncatesLikeHF) {
  SpecialIds sp;
  std::vector<int32_t> body{1, 2, 3, 4, 5, 6};
  EXPECT_EQ(with_specials(body, 5, sp), (std::vector<int32_t>{sp.cls, 1, 2, 3, sp.sep}));
  EXPECT_EQ(with_specials(body, 128, sp).size(), 8u);
  EXPECT_EQ(with_specials({}, 128, sp), (std::vector<int32_t>{sp.cls, sp.sep}));
}
