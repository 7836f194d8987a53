#include <gtest/gtest.h>

#include <torch/torch.h>

#include "distributed/communicator.hpp"

using namespace jepa::distributed;

// The NCCL backend with one rank on one GPU (NCCL does not support two ranks on one GPU; multi-rank tests run on
// CPU through MPI). Compiled everywhere; skipped where there is no GPU.
TEST(Nccl, OneRankAllReduceAndBroadcast) {
  if (!nccl_available()) GTEST_SKIP() << "built without NCCL (JEPA_WITH_NCCL=OFF)";
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: NCCL backend not exercised";
  Control control(World{}, 60);
  torch::Device dev(torch::kCUDA, 0);
  auto comm = make_communicator("nccl", control, dev);
  EXPECT_EQ(comm->name(), "nccl");
  auto t = torch::arange(1000, torch::TensorOptions().dtype(torch::kFloat32).device(dev));
  auto expect = t.clone();
  comm->allreduce_sum(t, "test all-reduce")->wait();
  EXPECT_TRUE(torch::equal(t.cpu(), expect.cpu()));
  comm->broadcast(t, 0, "test broadcast");
  EXPECT_TRUE(torch::equal(t.cpu(), expect.cpu()));
}

TEST(Nccl, BackendSelectionErrors) {
  Control control(World{}, 60);
  EXPECT_THROW(make_communicator("gloo", control, torch::Device(torch::kCPU)), std::runtime_error);
  EXPECT_THROW(make_communicator("nccl", control, torch::Device(torch::kCPU)), std::runtime_error);
  EXPECT_EQ(make_communicator("auto", control, torch::Device(torch::kCPU))->name(), "local");
}
