#pragma once
// Helpers shared by the fuzz targets: a reader that turns the fuzzer's bytes into decisions (structured fuzzing),
// a per-process scratch directory, and the one-line-error rule every parser must keep.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace jepa::fuzz {

class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool empty() const { return p_ == end_; }
  uint8_t u8() { return p_ == end_ ? 0 : *p_++; }
  uint64_t u64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
    return v;
  }
  bool flag(uint8_t percent_true) { return u8() % 100 < percent_true; }
  // Mostly small numbers (the interesting boundaries), sometimes anything.
  int64_t small_or_any() {
    const uint8_t k = u8();
    if (k < 200) return static_cast<int64_t>(k % 40) - 4;
    return static_cast<int64_t>(u64());
  }
  std::string str(size_t max_len) {
    const size_t n = u8() % (max_len + 1);
    std::string s;
    for (size_t i = 0; i < n && p_ != end_; ++i) s.push_back(static_cast<char>(*p_++));
    return s;
  }
  std::string rest() { std::string s(reinterpret_cast<const char*>(p_), static_cast<size_t>(end_ - p_)); p_ = end_; return s; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// A scratch directory for this process (removed by the OS's tmp cleaning; fuzzing reuses it for every input).
inline const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("jepa_fuzz." + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// Errors reach users as one line (DEVELOPERS.md "Bad input"): a message with a newline is a finding.
inline void require_one_line(const char* what, const char* where) {
  if (std::strchr(what, '\n') != nullptr || std::strlen(what) == 0) {
    std::fprintf(stderr, "%s: error message is empty or not one line: [%s]\n", where, what);
    std::abort();
  }
}

inline void require(bool cond, const char* what) {
  if (!cond) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

}  // namespace jepa::fuzz
