#pragma once
// Logging facade over spdlog. Kept free of spdlog/fmt types on purpose: LibTorch ships its own (newer) fmt headers,
// which clash with the fmt Debian's spdlog is built against, so torch translation units log through this header only.
#include <string>

namespace jepa::log {

// Console (rank 0 only unless all_ranks) plus, if non-empty, an appending file sink; prefixes "[rN]" when world > 1.
// `color` (log.color): auto | always | never; files never get escape codes.
void init(const std::string& file_path, int rank = 0, int world = 1, bool all_ranks_to_console = false,
          const std::string& color = "auto");
// Whether the console gets ANSI colours: always / never as set; auto = colour only when the stream is a terminal,
// NO_COLOR is unset or empty, TERM is not "dumb" and no launcher (mpirun, srun: OMPI_/PMI_/PMIX_/SLURM_ rank
// variables) relays the output.
bool use_color(const std::string& mode, bool is_terminal);
void info(const std::string& msg);
void warn(const std::string& msg);
void error(const std::string& msg);
void flush();

// printf-style formatting into a std::string.
std::string strf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace jepa::log
