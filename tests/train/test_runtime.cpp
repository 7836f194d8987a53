// Threads per rank (train.threads=0): the rank's allowed CPUs shared with the ranks on its host whose CPU sets
// overlap it, so N local ranks never oversubscribe and a rank bound to its own cores uses all of them.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <thread>
#include <vector>

#include "train/runtime.hpp"

using jepa::train::choose_threads;

namespace {
std::vector<int> cpus(int first, int n) {
  std::vector<int> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), first);
  return v;
}
}  // namespace

TEST(Threads, RequestedWins) { EXPECT_EQ(choose_threads(3, cpus(0, 16), {cpus(0, 16)}), 3); }

TEST(Threads, UnboundRanksShareTheMachine) {
  EXPECT_EQ(choose_threads(0, cpus(0, 16), {cpus(0, 16)}), 16);
  EXPECT_EQ(choose_threads(0, cpus(0, 16), {cpus(0, 16), cpus(0, 16)}), 8);
  EXPECT_EQ(choose_threads(0, cpus(0, 2), {cpus(0, 2), cpus(0, 2)}), 1);  // this CI machine: 2 ranks, 2 cores
  EXPECT_EQ(choose_threads(0, cpus(0, 2), {cpus(0, 2), cpus(0, 2), cpus(0, 2), cpus(0, 2)}), 1);  // never 0
}

TEST(Threads, BoundRanksUseTheirOwnCores) {
  // srun --cpus-per-task=4: disjoint sets
  EXPECT_EQ(choose_threads(0, cpus(4, 4), {cpus(0, 4), cpus(4, 4), cpus(8, 4), cpus(12, 4)}), 4);
  // mpirun --bind-to core: one core each
  EXPECT_EQ(choose_threads(0, cpus(3, 1), {cpus(0, 1), cpus(1, 1), cpus(2, 1), cpus(3, 1)}), 1);
  // bound per socket, 2 ranks a socket: 8 cores split in two, not 8 threads each
  EXPECT_EQ(choose_threads(0, cpus(0, 8), {cpus(0, 8), cpus(0, 8), cpus(8, 8), cpus(8, 8)}), 4);
  // a container's 4-CPU cpuset shared by 2 unbound ranks
  EXPECT_EQ(choose_threads(0, cpus(20, 4), {cpus(20, 4), cpus(20, 4)}), 2);
}

TEST(Threads, AllowedCpusIsThisProcessesMask) {
  const auto mine = jepa::train::allowed_cpus();
  ASSERT_GE(mine.size(), 1u);
  EXPECT_LE(mine.size(), std::thread::hardware_concurrency());
  EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
}
