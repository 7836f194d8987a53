#include <gtest/gtest.h>

#include <torch/torch.h>

#include "distributed/reducer.hpp"

using namespace jepa::distributed;

namespace {
// Stands in for a 2-rank job whose other rank has the same gradients: the sum doubles every value.
// Records the launch order and whether launches happened while backward was still running.
class RecordingComm : public Communicator {
 public:
  std::vector<int64_t> launched_sizes;
  bool* in_backward = nullptr;
  int launched_during_backward = 0;
  std::string name() const override { return "recording"; }
  std::unique_ptr<Work> allreduce_sum(torch::Tensor t, const std::string&) override {
    launched_sizes.push_back(t.numel());
    if (in_backward && *in_backward) ++launched_during_backward;
    struct W : Work {
      torch::Tensor t;
      void wait() override { t.mul_(2); }
    };
    auto w = std::make_unique<W>();
    w->t = t;
    return w;
  }
  void broadcast(torch::Tensor, int, const std::string&) override {}
};

struct Net : torch::nn::Module {
  torch::nn::Linear a{nullptr}, b{nullptr}, c{nullptr};
  Net() {
    a = register_module("a", torch::nn::Linear(64, 512));   // 128 KiB weight
    b = register_module("b", torch::nn::Linear(512, 512));  // 1 MiB weight
    c = register_module("c", torch::nn::Linear(512, 8));
  }
  torch::Tensor forward(torch::Tensor x) { return c(torch::relu(b(torch::relu(a(x))))); }
};
}  // namespace

class Reducer : public ::testing::TestWithParam<bool> {};

TEST_P(Reducer, SumsEveryGradientInFixedReverseOrderBuckets) {
  const bool overlap = GetParam();
  torch::manual_seed(0);
  Net net;
  auto params = net.parameters();
  RecordingComm comm;
  bool in_backward = false;
  comm.in_backward = &in_backward;
  GradReducer reducer(params, comm, /*bucket_mb=*/0.01, overlap);

  // Layout: reverse registration order, every parameter exactly once, several buckets.
  const auto layout = reducer.layout();
  EXPECT_GE(layout.size(), 3u);
  std::vector<size_t> flat;
  for (const auto& b : layout) flat.insert(flat.end(), b.begin(), b.end());
  ASSERT_EQ(flat.size(), params.size());
  for (size_t i = 0; i < flat.size(); ++i) EXPECT_EQ(flat[i], params.size() - 1 - i);

  for (int iter = 0; iter < 2; ++iter) {  // the reducer is reusable step after step
    auto x = torch::randn({16, 64});
    // Reference gradients without the reducer hooks' effect (hooks only copy; .grad is rewritten in finish()).
    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    auto ref_loss = net.forward(x).pow(2).mean();
    auto ref = torch::autograd::grad({ref_loss}, params);

    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    comm.launched_sizes.clear();
    comm.launched_during_backward = 0;
    reducer.prepare();
    in_backward = true;
    net.forward(x).pow(2).mean().backward();
    in_backward = false;
    reducer.finish();

    for (size_t i = 0; i < params.size(); ++i)
      EXPECT_TRUE(torch::allclose(params[i].grad(), 2 * ref[i], 1e-6, 1e-7)) << "param " << i;
    ASSERT_EQ(comm.launched_sizes.size(), layout.size());
    for (size_t k = 0; k < layout.size(); ++k) {
      int64_t n = 0;
      for (size_t p : layout[k]) n += params[p].numel();
      EXPECT_EQ(comm.launched_sizes[k], n) << "bucket " << k << " launched out of order";
    }
    if (overlap)
      EXPECT_GE(comm.launched_during_backward, 1) << "no bucket was launched while backward ran";
    else
      EXPECT_EQ(comm.launched_during_backward, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(OverlapOnOff, Reducer, ::testing::Values(true, false));

TEST(ReducerUnused, ParametersWithoutGradientsContributeZeros) {
  torch::nn::Linear used(4, 4), unused(4, 4);
  std::vector<torch::Tensor> params = used->parameters();
  for (auto& p : unused->parameters()) params.push_back(p);
  RecordingComm comm;
  GradReducer reducer(params, comm, 25, true);
  reducer.prepare();
  used(torch::randn({2, 4})).sum().backward();
  reducer.finish();  // must not hang waiting for the unused parameters
  for (auto& p : unused->parameters()) EXPECT_EQ(p.grad().abs().sum().item<double>(), 0.0);
}

// dist.sparse_embedding: the embedding leaves the buckets and only the named rows travel; the summed gradient is
// what the dense all-reduce gives (rows outside the union are zero everywhere).
TEST(ReducerSparse, ReducesOnlyTheNamedRowsWithTheDenseResult) {
  for (const bool overlap : {true, false}) {
    torch::manual_seed(1);
    torch::nn::Embedding emb(100, 8);
    torch::nn::Linear head(8, 3);
    std::vector<torch::Tensor> params = emb->parameters();
    for (auto& p : head->parameters()) params.push_back(p);
    RecordingComm comm;
    GradReducer reducer(params, comm, 25, overlap, torch::kFloat32, /*sparse=*/0);
    for (const auto& bucket : reducer.layout())
      for (size_t k : bucket) EXPECT_NE(k, 0u) << "the sparse parameter must not be in a bucket";

    const auto ids = torch::tensor({{5, 7, 7, 64}, {99, 5, 0, 0}}, torch::kInt64);
    std::vector<int64_t> words(2, 0);
    mark_rows(ids, 100, words);
    const auto rows = marked_rows(words);
    EXPECT_TRUE(torch::equal(rows, torch::tensor({0, 5, 7, 64, 99}, torch::kInt64)));

    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    auto ref = torch::autograd::grad({head(emb(ids)).pow(2).sum()}, params);
    comm.launched_sizes.clear();
    reducer.prepare();
    head(emb(ids)).pow(2).sum().backward();
    reducer.set_rows(rows);
    reducer.finish();
    for (size_t i = 0; i < params.size(); ++i)
      EXPECT_TRUE(torch::allclose(params[i].grad(), 2 * ref[i], 1e-6, 1e-7)) << "param " << i;
    ASSERT_FALSE(comm.launched_sizes.empty());
    EXPECT_EQ(comm.launched_sizes.back(), 5 * 8) << "only the 5 touched rows travel, after the buckets";

    // Without set_rows() the whole table is reduced.
    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    comm.launched_sizes.clear();
    reducer.prepare();
    head(emb(ids)).pow(2).sum().backward();
    reducer.finish();
    EXPECT_EQ(comm.launched_sizes.back(), 100 * 8);
    EXPECT_TRUE(torch::allclose(params[0].grad(), 2 * ref[0], 1e-6, 1e-7));
  }
  std::vector<int64_t> words(1, 0);
  EXPECT_THROW(mark_rows(torch::tensor({64}, torch::kInt64), 64, words), std::out_of_range);
  EXPECT_THROW(mark_rows(torch::tensor({50}, torch::kInt64), 50, words), std::out_of_range);  // inside the word, past the rows
}
