#pragma once
// The step profile (train.profile, docs/performance.md): wall time of each phase of a step, summed over the logging
// window. With a CUDA device it waits for the device at every phase boundary, so each phase is charged with the
// device work it queued (which slows the step: a measuring mode, off by default). Off, every call is a no-op.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include <torch/types.h>

namespace jepa::train {

class StepProfiler {
 public:
  StepProfiler(bool on, torch::Device device) : on_(on), device_(device) {}
  bool on() const { return on_; }
  // Restarts the clock (the beginning of a step); the time before it is charged to nothing.
  void start();
  // Ends the running phase: the time since the last start()/mark() is added to `phase`.
  void mark(const char* phase);
  // Mean seconds per step of each phase over the steps start()ed since the last take(), as "time_<phase>"; clears.
  std::map<std::string, double> take();

 private:
  void drain() const;
  bool on_;
  torch::Device device_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  std::map<std::string, double> seconds_;
  int64_t steps_ = 0;
};

}  // namespace jepa::train
