// Collapse metrics (src/train/collapse.hpp) on synthetic embeddings with known answers.
#include <gtest/gtest.h>

#include <cmath>

#include <torch/torch.h>

#include "train/collapse.hpp"

using jepa::train::collapse_stats;
using jepa::train::mean_pool;

namespace {

// N x D matrix with exactly k equal non-zero singular values (= scale): U (N x k) and V (D x k) with orthonormal
// columns from QR of random matrices, X = scale * U V^T.
torch::Tensor equal_singular_values(int64_t N, int64_t D, int64_t k, double scale = 3.0) {
  torch::manual_seed(7);
  const auto U = std::get<0>(torch::linalg_qr(torch::randn({N, k}, torch::kDouble)));  // N x k, U^T U = I
  const auto V = std::get<0>(torch::linalg_qr(torch::randn({D, k}, torch::kDouble)));  // D x k
  return scale * U.matmul(V.t());
}

}  // namespace

TEST(Collapse, RankKWithEqualSingularValuesHasEffectiveRankK) {
  for (int64_t k : {1, 2, 5, 16}) {
    const auto s = collapse_stats(equal_singular_values(64, 32, k));
    EXPECT_NEAR(s.effective_rank, static_cast<double>(k), 1e-3) << "k=" << k;
    EXPECT_EQ(s.n, 64);
  }
  // Full rank with N < D: min(N, D) values.
  EXPECT_NEAR(collapse_stats(equal_singular_values(8, 32, 8)).effective_rank, 8.0, 1e-3);
  // float32 input gives the same answer (computed in float64 inside).
  EXPECT_NEAR(collapse_stats(equal_singular_values(64, 32, 4).to(torch::kFloat)).effective_rank, 4.0, 1e-3);
}

TEST(Collapse, UnequalSingularValuesGiveEntropyFormula) {
  // diag(3, 1) padded: p = (0.75, 0.25) -> exp(H) = exp(-(.75 ln .75 + .25 ln .25)).
  auto x = torch::zeros({4, 3}, torch::kDouble);
  x[0][0] = 3.0;
  x[1][1] = 1.0;
  const double want = std::exp(-(0.75 * std::log(0.75) + 0.25 * std::log(0.25)));
  EXPECT_NEAR(collapse_stats(x).effective_rank, want, 1e-5);
}

TEST(Collapse, IdenticalRowsAreFullyCollapsed) {
  const auto row = torch::randn({1, 48}, torch::kDouble);
  const auto s = collapse_stats(row.repeat({10, 1}));
  EXPECT_NEAR(s.effective_rank, 1.0, 1e-3);
  EXPECT_NEAR(s.std_mean, 0.0, 1e-12);
  EXPECT_NEAR(s.std_min, 0.0, 1e-12);
  EXPECT_NEAR(s.mean_cosine, 1.0, 1e-12);
}

TEST(Collapse, PopulationStdPerDimension) {
  // Column j alternates +a_j / -a_j (+ an offset, which std ignores): population std is exactly a_j.
  const std::vector<double> a = {0.5, 2.0, 0.0, 4.0};
  const int64_t N = 6, D = static_cast<int64_t>(a.size());
  auto x = torch::empty({N, D}, torch::kDouble);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < D; ++j) x[i][j] = 10.0 * static_cast<double>(j) + (i % 2 ? -1.0 : 1.0) * a[static_cast<size_t>(j)];
  const auto s = collapse_stats(x);
  EXPECT_NEAR(s.std_mean, (0.5 + 2.0 + 0.0 + 4.0) / 4.0, 1e-12);
  EXPECT_NEAR(s.std_min, 0.0, 1e-12);
  // Scaled Gaussian: std of each column ~ its scale (large N).
  torch::manual_seed(3);
  const auto g = torch::randn({200000, 2}, torch::kDouble) * torch::tensor({1.0, 3.0}, torch::kDouble);
  const auto sg = collapse_stats(g);
  EXPECT_NEAR(sg.std_mean, 2.0, 0.01);
  EXPECT_NEAR(sg.std_min, 1.0, 0.01);
}

TEST(Collapse, OrthogonalRowsHaveZeroMeanCosine) {
  const auto s = collapse_stats(torch::eye(8, torch::kDouble) * 5.0);
  EXPECT_NEAR(s.mean_cosine, 0.0, 1e-12);
  EXPECT_NEAR(s.effective_rank, 8.0, 1e-3);
  // Opposite pairs: rows e, -e -> cosine -1.
  EXPECT_NEAR(collapse_stats(torch::tensor({{1.0, 2.0}, {-1.0, -2.0}}, torch::kDouble)).mean_cosine, -1.0, 1e-12);
  // Mixed: rows (1,0), (1,0), (0,1): pairs cos = 1, 0, 0 (each twice) -> 1/3.
  EXPECT_NEAR(collapse_stats(torch::tensor({{1.0, 0.0}, {2.0, 0.0}, {0.0, 3.0}}, torch::kDouble)).mean_cosine, 1.0 / 3.0, 1e-12);
}

TEST(Collapse, DegenerateInputs) {
  const auto z = collapse_stats(torch::zeros({4, 3}));
  EXPECT_EQ(z.effective_rank, 0.0);
  EXPECT_EQ(z.mean_cosine, 0.0);
  EXPECT_EQ(z.std_mean, 0.0);
  EXPECT_THROW(collapse_stats(torch::ones({1, 3})), std::invalid_argument);
  EXPECT_THROW(collapse_stats(torch::ones({3})), std::invalid_argument);
}

TEST(Collapse, MeanPoolIgnoresPadding) {
  auto h = torch::randn({2, 4, 3});
  const auto mask = torch::tensor({{1, 1, 0, 0}, {1, 1, 1, 1}}, torch::kLong);
  auto h2 = h.clone();
  h2.index_put_({0, torch::indexing::Slice(2)}, 1e6);  // garbage at padded positions changes nothing
  const auto p = mean_pool(h, mask), p2 = mean_pool(h2, mask);
  ASSERT_EQ(p.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(torch::allclose(p, p2));
  EXPECT_TRUE(torch::allclose(p[0], (h[0][0] + h[0][1]) / 2));
  EXPECT_TRUE(torch::allclose(p[1], h[1].mean(0)));
  // A row with no real token pools to zeros; a bool mask works too.
  const auto p3 = mean_pool(h, torch::tensor({{0, 0, 0, 0}, {1, 0, 0, 0}}, torch::kLong).to(torch::kBool));
  EXPECT_TRUE(torch::allclose(p3[0], torch::zeros({3})));
  EXPECT_TRUE(torch::allclose(p3[1], h[1][0]));
  EXPECT_THROW(mean_pool(h, torch::ones({2, 5})), std::invalid_argument);
}
