#include <gtest/gtest.h>

#include <torch/torch.h>

#include "distributed/communicator.hpp"
#include "distributed/world.hpp"

using namespace jepa::distributed;

// The NCCL backend with one rank on one GPU (NCCL does not support two ranks on one GPU; multi-rank tests run on
// CPU through MPI). Compiled everywhere; skipped where there is no GPU. With one rank a sum and a broadcast are
// identities, so this only proves the calls run and their result is visible on the compute stream afterwards (the
// in-stream multiply below); the arithmetic is proven by Nccl.TwoRanks* (tests/distributed/test_nccl_ranks.py).
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
  t.mul_(3);  // queued on the compute stream after wait(): must see the reduced values
  EXPECT_TRUE(torch::equal(t.cpu(), (expect * 3).cpu()));
  comm->broadcast(t, 0, "test broadcast");
  EXPECT_TRUE(torch::equal(t.cpu(), (expect * 3).cpu()));
  for (const auto dtype : {torch::kBFloat16, torch::kInt64}) {  // the dtypes the trainer sends
    auto u = torch::ones({17}, torch::TensorOptions().dtype(dtype).device(dev));
    comm->allreduce_sum(u, "dtype all-reduce")->wait();
    EXPECT_EQ(u.sum().item<double>(), 17.0);
  }
}

// Two ranks under mpirun, one GPU each (run by tests/distributed/test_nccl_ranks.py when >= 2 GPUs are visible):
// rank r sends (r + 1) x, so the sum is 3 x on both; a broadcast from rank 1 gives rank 1's tensor everywhere.
TEST(Nccl, TwoRanksSumAndBroadcast) {
  if (!nccl_available()) GTEST_SKIP() << "built without NCCL (JEPA_WITH_NCCL=OFF)";
  if (!launched_by_mpi()) GTEST_SKIP() << "needs mpirun -np 2 (tests/distributed/test_nccl_ranks.py)";
  if (torch::cuda::device_count() < 2) GTEST_SKIP() << "needs 2 GPUs";
  Session session(nullptr, nullptr);
  const auto& w = session.world();
  ASSERT_EQ(w.size, 2);
  Control control(w, 60);
  torch::Device dev(torch::kCUDA, static_cast<c10::DeviceIndex>(w.local_rank));
  auto comm = make_communicator("nccl", control, dev);
  const auto x = torch::arange(1000, torch::TensorOptions().dtype(torch::kFloat32).device(dev));
  auto t = x * static_cast<double>(w.rank + 1);
  comm->allreduce_sum(t, "two-rank all-reduce")->wait();
  EXPECT_TRUE(torch::equal(t.cpu(), (x * 3).cpu()));
  auto b = x + 1000.0 * w.rank;
  comm->broadcast(b, 1, "two-rank broadcast");
  EXPECT_TRUE(torch::equal(b.cpu(), (x + 1000.0).cpu()));
}

TEST(Nccl, BackendSelectionErrors) {
  Control control(World{}, 60);
  EXPECT_THROW(make_communicator("gloo", control, torch::Device(torch::kCPU)), std::runtime_error);
  EXPECT_THROW(make_communicator("nccl", control, torch::Device(torch::kCPU)), std::runtime_error);
  EXPECT_EQ(make_communicator("auto", control, torch::Device(torch::kCPU))->name(), "local");
}
