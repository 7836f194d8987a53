#include "train/metrics.hpp"

#include "log/tensorboard.hpp"

#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace jepa::train {
MetricsLog::~MetricsLog() = default;
MetricsLog::MetricsLog(MetricsLog&&) noexcept = default;

MetricsLog::MetricsLog(const std::string& path, int64_t resume_step, const std::string& tensorboard_dir) : path_(path) {
  if (!tensorboard_dir.empty()) tb_ = std::make_unique<log::EventWriter>(tensorboard_dir, resume_step);
  std::vector<std::string> kept;
  if (resume_step > 0 && std::filesystem::exists(path)) {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      try {
        if (nlohmann::json::parse(line).value("step", int64_t{0}) <= resume_step) kept.push_back(line);
      } catch (const nlohmann::json::exception&) {
        // a torn last line from a killed run: drop it
      }
    }
  }
  out_.open(path, std::ios::trunc);
  if (!out_) throw std::runtime_error("cannot write metrics file " + path);
  for (const auto& l : kept) out_ << l << '\n';
  out_.flush();
}

void MetricsLog::write(const nlohmann::ordered_json& record) {
  out_ << record.dump() << '\n';
  out_.flush();
  if (!out_) throw std::runtime_error("cannot write metrics file " + path_ + " (" + std::strerror(errno) + ")");
  if (!tb_) return;
  std::vector<std::pair<std::string, double>> scalars;
  for (const auto& [k, v] : record.items())
    if (k != "step" && v.is_number()) scalars.emplace_back(k, v.get<double>());
  tb_->scalars(record.value("step", int64_t{0}), scalars);
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[48];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", s / 3600, (s / 60) % 60, s % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%llds", s);
  return buf;
}

}  // namespace jepa::train
