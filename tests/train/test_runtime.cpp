// Threads per rank (train.threads=0): the cores a launcher bound the rank to, else the machine's cores shared by
// the node's ranks, so N local ranks never oversubscribe.
#include <gtest/gtest.h>

#include <thread>

#include "train/runtime.hpp"

using jepa::train::choose_threads;

TEST(Threads, RequestedWins) { EXPECT_EQ(choose_threads(3, 8, 16, 2), 3); }

TEST(Threads, UnboundRanksShareTheMachine) {
  EXPECT_EQ(choose_threads(0, 1, 16, 16), 16);
  EXPECT_EQ(choose_threads(0, 2, 16, 16), 8);
  EXPECT_EQ(choose_threads(0, 2, 2, 2), 1);    // this CI machine's case: 2 ranks on 2 cores
  EXPECT_EQ(choose_threads(0, 4, 2, 2), 1);    // never 0
  EXPECT_EQ(choose_threads(0, 2, 16, 0), 8);   // affinity unknown
}

TEST(Threads, ABoundRankUsesItsOwnCores) {
  EXPECT_EQ(choose_threads(0, 2, 16, 4), 4);  // e.g. srun --cpus-per-task=4
  EXPECT_EQ(choose_threads(0, 8, 16, 1), 1);  // mpirun --bind-to core
}

TEST(Threads, AllowedCoresIsThisProcessesMask) {
  const int n = jepa::train::allowed_cores();
  EXPECT_GE(n, 1);
  EXPECT_LE(n, static_cast<int>(std::thread::hardware_concurrency()));
}
