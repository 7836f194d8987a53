#include <gtest/gtest.h>

#include <torch/torch.h>

#include "train/optimizer.hpp"

using jepa::train::FusedAdamW;

// The fused kernel must follow LibTorch's AdamW (decoupled weight decay, bias correction) step for step, and keep
// state that AdamW's serializer reads and writes.
TEST(FusedAdamW, MatchesLibTorchAdamWAndSharesItsState) {
  torch::manual_seed(0);
  std::vector<torch::Tensor> a{torch::randn({7, 5}), torch::randn({5})}, b;
  for (auto& t : a) {
    t.set_requires_grad(true);
    b.push_back(t.detach().clone().set_requires_grad(true));
  }
  auto opts = torch::optim::AdamWOptions(1e-2).betas({0.9, 0.999}).eps(1e-8).weight_decay(0.01);
  torch::optim::AdamW reference(a, opts);
  FusedAdamW fused(b, opts);
  for (int step = 0; step < 25; ++step) {
    const auto g0 = torch::randn({7, 5}), g1 = torch::randn({5}) * (step % 3);  // includes all-zero gradients
    a[0].mutable_grad() = g0.clone();
    a[1].mutable_grad() = g1.clone();
    b[0].mutable_grad() = g0.clone();
    b[1].mutable_grad() = g1.clone();
    reference.step();
    fused.step();
    for (size_t i = 0; i < a.size(); ++i)
      ASSERT_TRUE(torch::allclose(a[i], b[i], 1e-6, 1e-7)) << "param " << i << " step " << step;
  }
  // Round trip through AdamW's archive format.
  torch::serialize::OutputArchive out;
  fused.save(out);
  std::stringstream buf;
  out.save_to(buf);
  FusedAdamW restored(b, opts);
  torch::serialize::InputArchive in;
  in.load_from(buf);
  restored.load(in);
  auto& s1 = static_cast<torch::optim::AdamWParamState&>(*fused.state().at(b[0].unsafeGetTensorImpl()));
  auto& s2 = static_cast<torch::optim::AdamWParamState&>(*restored.state().at(b[0].unsafeGetTensorImpl()));
  EXPECT_EQ(s1.step(), 25);
  EXPECT_EQ(s2.step(), 25);
  EXPECT_TRUE(torch::equal(s1.exp_avg_sq(), s2.exp_avg_sq()));
}

namespace {
// Two identical sets of parameters with random values and gradients (one per shape), to be treated two ways.
std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> twin_parameters(
    const std::vector<std::vector<int64_t>>& shapes) {
  std::vector<torch::Tensor> a, b;
  for (const auto& shape : shapes) {
    auto p = torch::randn(shape, torch::requires_grad());
    p.mutable_grad() = torch::randn(shape);
    auto q = p.detach().clone().requires_grad_(true);
    q.mutable_grad() = p.grad().clone();
    a.push_back(p);
    b.push_back(q);
  }
  return {a, b};
}
}  // namespace

// The step's gradient norm (never read back) against LibTorch's clip_grad_norm_ total, with a parameter without a
// gradient (skipped by both), and none at all.
TEST(GradientNorm, EqualsLibTorchClipGradNormTotal) {
  torch::manual_seed(11);
  auto [a, b] = twin_parameters({{7, 5}, {5}, {3, 4, 2}, {1}});
  a.push_back(torch::zeros({2}, torch::requires_grad()));
  const double total = jepa::train::gradient_norm(a).item<double>();
  const double expected = torch::nn::utils::clip_grad_norm_(b, 1e9);
  EXPECT_NEAR(total, expected, 1e-6 * expected);
  EXPECT_FALSE(jepa::train::gradient_norm({torch::zeros({2}, torch::requires_grad())}).defined());
}

// The trainer's clipping: the divisor applied inside the fused kernel. Unclipped (divisor exactly 1) the step is
// bit for bit the plain step; clipped, it is the step on LibTorch's clip_grad_norm_ gradients within float rounding.
TEST(ClipDivisor, InsideTheFusedStepEqualsClippingFirst) {
  for (const double max_norm : {0.5, 1e9}) {
    torch::manual_seed(12);
    auto [a, b] = twin_parameters({{7, 5}, {5}, {3, 4, 2}});
    const auto opts = torch::optim::AdamWOptions(1e-2).weight_decay(0.01);
    FusedAdamW first(a, opts), inside(b, opts);
    const auto total = jepa::train::gradient_norm(b);
    EXPECT_NEAR(total.item<double>(), torch::nn::utils::clip_grad_norm_(a, max_norm), 1e-6 * total.item<double>());
    const auto divisor = jepa::train::clip_divisor(total, max_norm);
    if (max_norm > 1e3) EXPECT_EQ(divisor.item<double>(), 1.0);
    else EXPECT_NEAR(divisor.item<double>(), total.item<double>() / max_norm, 1e-5);
    first.step();
    inside.divide_grads_by(divisor);
    inside.step();
    for (size_t i = 0; i < a.size(); ++i) {
      if (max_norm > 1e3) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
      else EXPECT_TRUE(torch::allclose(a[i], b[i], 0, 1e-7)) << i << " max diff " << (a[i] - b[i]).abs().max().item<double>();
    }
  }
}
