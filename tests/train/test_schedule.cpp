#include <gtest/gtest.h>

#include <cmath>

#include "train/schedule.hpp"

using namespace jepa::train;

TEST(Schedule, WarmupThenCosineLikeReference) {
  EXPECT_DOUBLE_EQ(lr_factor(0, 10, 100), 0.1);
  EXPECT_DOUBLE_EQ(lr_factor(9, 10, 100), 1.0);
  EXPECT_DOUBLE_EQ(lr_factor(10, 10, 100), 1.0);
  EXPECT_NEAR(lr_factor(55, 10, 100), 0.5, 1e-12);
  EXPECT_NEAR(lr_factor(100, 10, 100), 0.0, 1e-12);
  EXPECT_NEAR(lr_factor(500, 10, 100), 0.0, 1e-12);  // clamped past the end
  EXPECT_DOUBLE_EQ(lr_factor(0, 0, 10), 1.0);         // no warmup
}

TEST(Schedule, EmaConstantAndLinear) {
  jepa::config::JepaConfig c;
  c.ema_m = 0.99;
  EXPECT_DOUBLE_EQ(ema_momentum(50, 100, c), 0.99);
  c.ema_schedule = "linear";
  c.ema_m = 0.996;
  c.ema_m_end = 1.0;
  EXPECT_DOUBLE_EQ(ema_momentum(0, 100, c), 0.996);
  EXPECT_NEAR(ema_momentum(50, 100, c), 0.998, 1e-12);
  EXPECT_NEAR(ema_momentum(100, 100, c), 1.0, 1e-12);
  c.ema_schedule = "cosine";  // BYOL: m_end - (m_end - m0)(1 + cos(pi s/S))/2
  EXPECT_DOUBLE_EQ(ema_momentum(0, 100, c), 0.996);
  EXPECT_NEAR(ema_momentum(50, 100, c), 0.998, 1e-12);
  EXPECT_NEAR(ema_momentum(25, 100, c), 1.0 - 0.004 * 0.5 * (1.0 + std::cos(M_PI * 0.25)), 1e-12);
  EXPECT_LT(ema_momentum(25, 100, c), 0.996 + 0.004 * 0.25);  // slower than linear at the start
  EXPECT_NEAR(ema_momentum(100, 100, c), 1.0, 1e-12);
}
