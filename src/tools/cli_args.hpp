#pragma once
// Small helpers shared by the command-line tools.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace jepa::tools {

// The whole of `v` as a base-10 integer, or nullopt ("12x", "", out of range).
inline std::optional<int64_t> parse_int64(const std::string& v) {
  size_t used = 0;
  try {
    const int64_t x = std::stoll(v, &used);
    if (used == v.size()) return x;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// A malformed command line (the tools exit 2 on it, except jepa_prep, which exits 1 on every error).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Walks argv[1..] as flags: `--flag value` or `--flag=value`. The tool reads a value only for flags that take one:
//   ArgWalker args(argc, argv);
//   while (args.next()) if (args.flag() == "--out") out = args.value(); else ...
class ArgWalker {
 public:
  ArgWalker(int argc, char** argv) : argc_(argc), argv_(argv) {}
  // Moves to the next argument; false when there is none left.
  bool next() {
    if (++i_ >= argc_) return false;
    flag_ = argv_[i_];
    inline_value_.reset();
    const auto eq = flag_.find('=');
    if (flag_.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value_ = flag_.substr(eq + 1);
      flag_ = flag_.substr(0, eq);
    }
    return true;
  }
  const std::string& flag() const { return flag_; }
  // The current flag's value: what follows '=', else the next argument (UsageError when there is none).
  std::string value(const std::string& hint = " (see --help)") {
    if (inline_value_) return *inline_value_;
    if (i_ + 1 >= argc_) throw UsageError(flag_ + " needs a value" + hint);
    return argv_[++i_];
  }

 private:
  int argc_;
  char** argv_;
  int i_ = 0;
  std::string flag_;
  std::optional<std::string> inline_value_;
};

// Errors are printed on one line: newlines become spaces, trailing spaces go. (LibTorch tools pass a c10::Error's
// what_without_backtrace(), whose what() carries a multi-line C++ backtrace.)
inline std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace jepa::tools
