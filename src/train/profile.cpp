#include "train/profile.hpp"

#include <algorithm>

#include <torch/cuda.h>

namespace jepa::train {

void StepProfiler::drain() const {
  if (device_.is_cuda()) torch::cuda::synchronize(device_.index());
}

void StepProfiler::start() {
  if (!on_) return;
  drain();
  ++steps_;
  last_ = std::chrono::steady_clock::now();
}

void StepProfiler::mark(const char* phase) {
  if (!on_) return;
  drain();
  const auto now = std::chrono::steady_clock::now();
  seconds_[phase] += std::chrono::duration<double>(now - last_).count();
  last_ = now;
}

std::map<std::string, double> StepProfiler::take() {
  std::map<std::string, double> out;
  for (const auto& [phase, s] : seconds_) out["time_" + phase] = s / static_cast<double>(std::max<int64_t>(steps_, 1));
  seconds_.clear();
  steps_ = 0;
  return out;
}

}  // namespace jepa::train
