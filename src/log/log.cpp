#include "log/log.hpp"

#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace jepa::log {

bool use_color(const std::string& mode, bool is_terminal) {
  if (mode == "always") return true;  // an explicit setting beats NO_COLOR (no-color.org)
  if (mode == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  // Under a launcher, a rank's stdout is a pipe or pseudo-terminal relayed to wherever the launcher's output goes
  // (often a Slurm output file), which the rank cannot see: no colour.
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"})
    if (std::getenv(v)) return false;
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return is_terminal;
}

namespace {
spdlog::color_mode color_mode(const std::string& mode, FILE* stream) {
  return use_color(mode, isatty(fileno(stream)) != 0) ? spdlog::color_mode::always : spdlog::color_mode::never;
}

std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto lg = std::make_shared<spdlog::logger>(
        "jepa", std::make_shared<spdlog::sinks::stderr_color_sink_mt>(color_mode("auto", stderr)));
    lg->set_pattern("[%Y-%m-%d %H:%M:%S] [%^%l%$] %v");
    return lg;
  }();
  return l;
}
}  // namespace

void init(const std::string& file_path, int rank, int world, bool all_ranks_to_console, const std::string& color) {
  std::vector<spdlog::sink_ptr> sinks;
  if (rank == 0 || all_ranks_to_console)
    sinks.push_back(std::make_shared<spdlog::sinks::stdout_color_sink_mt>(color_mode(color, stdout)));
  if (!file_path.empty()) sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file_path));
  auto lg = std::make_shared<spdlog::logger>("jepa", sinks.begin(), sinks.end());
  lg->set_pattern(world > 1 ? "[%Y-%m-%d %H:%M:%S] [r" + std::to_string(rank) + "] [%^%l%$] %v"
                            : "[%Y-%m-%d %H:%M:%S] [%^%l%$] %v");
  lg->flush_on(spdlog::level::info);
  // A log that cannot be written (disk full) ends the run with that reason instead of spdlog's "LOG ERROR" and
  // training on silently; the exception reaches the caller of info()/warn().
  lg->set_error_handler([file_path](const std::string& msg) {
    throw std::runtime_error("cannot write the log " + file_path + " (" + msg + ")");
  });
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
