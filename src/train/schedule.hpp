#pragma once
// Learning-rate and EMA-momentum schedules: pure functions of the step.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "config/config.hpp"

namespace jepa::train {

// Linear warmup then cosine decay to 0, as the reference: factor applied to optim.lr before step `step` (0-based).
inline double lr_factor(int64_t step, int64_t warmup, int64_t steps) {
  if (step < warmup) return static_cast<double>(step + 1) / static_cast<double>(std::max<int64_t>(1, warmup));
  const double progress = std::clamp(static_cast<double>(step - warmup) / static_cast<double>(std::max<int64_t>(1, steps - warmup)), 0.0, 1.0);
  return 0.5 * (1.0 + std::cos(M_PI * progress));
}

// EMA momentum used after optimizer step `step`: constant (reference), I-JEPA's linear ramp ema_m -> ema_m_end, or
// BYOL's cosine ramp ema_m_end - (ema_m_end - ema_m)·(1 + cos(π·step/steps))/2 (slow at both ends).
inline double ema_momentum(int64_t step, int64_t steps, const config::JepaConfig& cfg) {
  const double total = static_cast<double>(std::max<int64_t>(1, steps));
  if (cfg.ema_schedule == "linear") return cfg.ema_m + (cfg.ema_m_end - cfg.ema_m) * static_cast<double>(step) / total;
  if (cfg.ema_schedule == "cosine")
    return cfg.ema_m_end - (cfg.ema_m_end - cfg.ema_m) * 0.5 * (1.0 + std::cos(M_PI * static_cast<double>(step) / total));
  return cfg.ema_m;
}

}  // namespace jepa::train
