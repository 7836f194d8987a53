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
