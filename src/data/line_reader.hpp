#pragma once
// One document per input line, from a plain-text or JSONL corpus file: what jepa_prep tokenizes.
//
// Line contract (matches Python's `for line in open(path, encoding="utf-8"): line.strip()`, see
// tests/golden/test_tokenizer_hf.py): documents are split on '\n' only; each line is stripped with str.strip()
// semantics, i.e. every code point for which Python's str.isspace() is true (ASCII whitespace, \x1c-\x1f, U+0085,
// U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) -- so "\r\n" files work too; a line that
// is empty after stripping yields an empty text, which the caller skips (and counts). Not matched: Python's universal
// newlines would also split on a lone '\r' inside a line; here it stays in the line (the tokenizer treats it as
// whitespace). Invalid UTF-8 is passed through (the tokenizer maps it to U+FFFD) instead of failing as Python would.
// JSONL: one JSON object per line; its text field (default "text") string is stripped the same way; blank lines and
// empty texts yield empty texts; anything else malformed is an error naming the file and line.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace jepa::data {

enum class LineFormat { kText, kJsonl };

class LineReader {
 public:
  // Throws std::runtime_error when `path` is missing, a directory or cannot be opened.
  explicit LineReader(const std::string& path, LineFormat format = LineFormat::kText,
                      std::string text_field = "text");
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The stripped text of the next line (kJsonl: of its text field); empty when the line holds no document.
  // False at end of input; a final line without '\n' still counts. `text` stays valid until the next call.
  // Throws std::runtime_error on a read error, or "<path>:<line>: ..." on a malformed JSONL line.
  bool next(std::string_view& text);

  uint64_t bytes() const { return bytes_; }  // bytes consumed so far, line endings included
  uint64_t size() const { return size_; }    // input size; 0 when unknown (not a regular file)
  int64_t line_no() const { return line_no_; }  // 1-based number of the line last read

 private:
  std::string_view json_text(std::string_view line);

  std::string path_;
  LineFormat format_;
  std::string text_field_;
  std::string field_;  // the current JSONL line's text field, which `text` points into
  std::FILE* f_ = nullptr;
  char* buf_ = nullptr;  // getline()'s buffer
  size_t cap_ = 0;
  uint64_t bytes_ = 0, size_ = 0;
  int64_t line_no_ = 0;
};

}  // namespace jepa::data
