#include "log/log.hpp"

#include <cstdarg>
#include <memory>
#include <vector>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace jepa::log {
namespace {
std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto lg = std::make_shared<spdlog::logger>("jepa", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    lg->set_pattern("[%Y-%m-%d %H:%M:%S] [%^%l%$] %v");
    return lg;
  }();
  return l;
}
}  // namespace

void init(const std::string& file_path, int rank, int world, bool all_ranks_to_console) {
  std::vector<spdlog::sink_ptr> sinks;
  if (rank == 0 || all_ranks_to_console) sinks.push_back(std::make_shared<spdlog::sinks::stdout_color_sink_mt>());
  if (!file_path.empty()) sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file_path));
  auto lg = std::make_shared<spdlog::logger>("jepa", sinks.begin(), sinks.end());
  lg->set_pattern(world > 1 ? "[%Y-%m-%d %H:%M:%S] [r" + std::to_string(rank) + "] [%^%l%$] %v"
                            : "[%Y-%m-%d %H:%M:%S] [%^%l%$] %v");
  lg->flush_on(spdlog::level::info);
  logger() = lg;
}

void info(const std::string& msg) { logger()->info(msg); }
void warn(const std::string& msg) { logger()->warn(msg); }
void error(const std::string& msg) { logger()->error(msg); }
void flush() { logger()->flush(); }

std::string strf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  const int n = std::vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  std::string out(static_cast<size_t>(n > 0 ? n : 0), '\0');
  std::vsnprintf(out.data(), out.size() + 1, fmt, ap2);
  va_end(ap2);
  return out;
}

}  // namespace jepa::log
