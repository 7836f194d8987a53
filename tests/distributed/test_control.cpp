// Start-up device checks and the two deadlines of the control plane (design.md §5), in one process: the
// duplicate-GPU rule on injected rank lists, and dist.timeout_s vs dist.io_timeout_s (IoScope) on a wait that
// finishes after 1.5 s. The multi-rank behaviour is tests/distributed/test_faults.py under real mpirun.
#include <gtest/gtest.h>

#include <chrono>

#include "distributed/control.hpp"
#include "distributed/gpu.hpp"

using namespace jepa::distributed;

TEST(GpuCheck, RanksOnDifferentPhysicalGpusPassEvenWhenEachCallsItsGpuCuda0) {
  // One visible GPU per task (CUDA_VISIBLE_DEVICES / --gpus-per-task): every rank's device is cuda:0, but the PCI
  // ids differ; the old host:cuda:N comparison refused this valid job.
  EXPECT_FALSE(first_duplicate({"node1:0000:3b:00.0", "node1:0000:5e:00.0", "node2:0000:3b:00.0"}));
  const auto dup = first_duplicate({"node1:0000:3b:00.0", "node1:0000:5e:00.0", "node1:0000:3b:00.0"});
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->first, 0u);
  EXPECT_EQ(dup->second, 2u);
  EXPECT_FALSE(first_duplicate({}));
  EXPECT_EQ(gpu_identity(3).empty(), false);
}

namespace {
// A wait whose condition becomes true `seconds` after it starts.
std::function<bool()> ready_after(double seconds) {
  const auto t0 = std::chrono::steady_clock::now();
  return [=] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() >= seconds; };
}
}  // namespace

TEST(ControlDeadline, IoScopeWaitsUpToTheIoTimeout) {
  Control c(World{}, /*timeout_s=*/0.5, /*io_timeout_s=*/10);
  EXPECT_EQ(c.io_timeout_s(), 10);
  IoScope io(c);
  c.wait(ready_after(1.5), "checkpoint write");  // longer than timeout_s, within io_timeout_s: no abort
  SUCCEED();
}

TEST(ControlDeadlineDeathTest, OutsideAnIoScopeTheCollectiveTimeoutApplies) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        Control c(World{}, 0.5, 10);
        c.wait(ready_after(1.5), "loss");
      },
      ::testing::ExitedWithCode(3), "collective 'loss' at step 0 did not finish within 0.5 s \\(dist.timeout_s\\)");
  EXPECT_EXIT(
      {
        Control c(World{}, 0.5, 1);
        IoScope io(c);
        c.wait(ready_after(3), "checkpoint write");
      },
      ::testing::ExitedWithCode(3), "'checkpoint write' .* within 1 s \\(dist.io_timeout_s\\)");
  Control same(World{}, 7);  // io_timeout_s unset: the same as timeout_s
  EXPECT_EQ(same.io_timeout_s(), 7);
}
