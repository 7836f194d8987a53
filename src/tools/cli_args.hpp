#pragma once
// Small helpers shared by the command-line tools.
#include <cstdint>
#include <optional>
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

}  // namespace jepa::tools
