// LineReader (line_reader.hpp): getline() over the raw bytes, Python str.strip() semantics, nlohmann for JSONL.
#include "data/line_reader.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <sys/types.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace jepa::data {
namespace {

// ---- Python str.strip() ------------------------------------------------------------------------------------

// Python's str.isspace() code points (Unicode bidi WS/B/S or category Zs), as of Python 3.11.
bool py_isspace(char32_t c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
  switch (c) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// Decodes the well-formed UTF-8 code point starting at s[i]; returns its byte length, 0 when ill-formed.
size_t utf8_at(std::string_view s, size_t i, char32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t len = 0;
  char32_t min = 0;
  if (b < 0x80) {
    cp = b;
    return 1;
  }
  if ((b & 0xE0) == 0xC0) len = 2, cp = b & 0x1F, min = 0x80;
  else if ((b & 0xF0) == 0xE0) len = 3, cp = b & 0x0F, min = 0x800;
  else if ((b & 0xF8) == 0xF0) len = 4, cp = b & 0x07, min = 0x10000;
  else return 0;
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

std::string_view py_strip(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    char32_t cp = 0;
    const size_t len = utf8_at(s, b, cp);
    if (len == 0 || !py_isspace(cp)) break;
    b += len;
  }
  size_t e = s.size();
  while (e > b) {
    // Step back to the start of the last code point (at most 4 bytes).
    size_t start = e - 1;
    while (start > b && e - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    char32_t cp = 0;
    const size_t len = utf8_at(s, start, cp);
    if (len != e - start || !py_isspace(cp)) break;
    e = start;
  }
  return s.substr(b, e - b);
}

}  // namespace

LineReader::LineReader(const std::string& path, LineFormat format, std::string text_field)
    : path_(path), format_(format), text_field_(std::move(text_field)) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw std::runtime_error("input '" + path + "' not found");
  if (std::filesystem::is_directory(path, ec)) throw std::runtime_error("input '" + path + "' is a directory");
  f_ = std::fopen(path.c_str(), "rb");
  if (!f_) throw std::runtime_error("cannot open input '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (fstat(fileno(f_), &st) == 0 && S_ISREG(st.st_mode)) size_ = static_cast<uint64_t>(st.st_size);
}

LineReader::~LineReader() {
  if (f_) std::fclose(f_);
  std::free(buf_);
}

bool LineReader::next(std::string_view& text) {
  const ssize_t n = ::getline(&buf_, &cap_, f_);
  if (n < 0) {
    if (std::ferror(f_)) throw std::runtime_error("cannot read input '" + path_ + "': " + std::strerror(errno));
    return false;
  }
  bytes_ += static_cast<uint64_t>(n);
  ++line_no_;
  size_t len = static_cast<size_t>(n);
  if (len > 0 && buf_[len - 1] == '\n') --len;
  text = py_strip(std::string_view(buf_, len));
  if (format_ == LineFormat::kJsonl && !text.empty()) text = json_text(text);
  return true;
}

// The stripped text field of one non-blank JSONL line. nlohmann escapes control characters in its messages, so
// e.what() is one line already.
std::string_view LineReader::json_text(std::string_view line) {
  const std::string where = path_ + ":" + std::to_string(line_no_) + ": ";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error(where + "invalid JSON: " + e.what());
  }
  if (!j.is_object()) throw std::runtime_error(where + "not a JSON object");
  const auto it = j.find(text_field_);
  if (it == j.end()) throw std::runtime_error(where + "no field \"" + text_field_ + "\"");
  if (!it->is_string()) throw std::runtime_error(where + "field \"" + text_field_ + "\" is not a string");
  field_ = it->get<std::string>();
  return py_strip(field_);
}

}  // namespace jepa::data
