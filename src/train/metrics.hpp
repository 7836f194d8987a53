#pragma once
// run.dir/metrics.jsonl: one JSON object per logged step. On resume, entries past the resumed step (logged by the
// interrupted run after its last checkpoint) are dropped, so the file reads like one uninterrupted run. With a
// TensorBoard directory, every numeric field of each record is also a scalar there (tag = the field's name).
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace jepa::train {

}  // namespace jepa::train
namespace jepa::log {
class EventWriter;  // log/tensorboard.hpp
}
namespace jepa::train {

class MetricsLog {
 public:
  MetricsLog(const std::string& path, int64_t resume_step, const std::string& tensorboard_dir = "");
  ~MetricsLog();
  MetricsLog(MetricsLog&&) noexcept;
  // Throws naming the file when the write fails (disk full): training does not go on without its record.
  void write(const nlohmann::ordered_json& record);

 private:
  std::string path_;
  std::ofstream out_;
  std::unique_ptr<log::EventWriter> tb_;
};

// "1h02m03s" / "4m05s" / "7s"
std::string format_duration(double seconds);

}  // namespace jepa::train
