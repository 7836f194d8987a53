#pragma once
// run.dir/metrics.jsonl: one JSON object per logged step. On resume, entries past the resumed step (logged by the
// interrupted run after its last checkpoint) are dropped, so the file reads like one uninterrupted run.
#include <cstdint>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace jepa::train {

class MetricsLog {
 public:
  MetricsLog(const std::string& path, int64_t resume_step);
  void write(const nlohmann::ordered_json& record);

 private:
  std::ofstream out_;
};

// "1h02m03s" / "4m05s" / "7s"
std::string format_duration(double seconds);

}  // namespace jepa::train
