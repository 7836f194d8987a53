// jepa_prep: tokenizes a text or JSONL corpus once into the HDF5 layout of data/corpus.hpp.
//
// Line contract (matches Python's `for line in open(path, encoding="utf-8"): line.strip()`, see
// tests/golden/test_tokenizer_hf.py): documents are split on '\n' only; each line is stripped with str.strip()
// semantics, i.e. every code point for which Python's str.isspace() is true (ASCII whitespace, \x1c-\x1f, U+0085,
// U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) -- so "\r\n" files work too; lines that are
// empty after stripping are skipped and counted. Not matched: Python's universal newlines would also split on a lone
// '\r' inside a line; here it stays in the line (the tokenizer treats it as whitespace). Invalid UTF-8 is passed
// to the tokenizer (which maps it to U+FFFD) instead of failing as Python would.
// JSONL: one JSON object per line; its --text-field (default "text") string is stripped the same way; blank lines
// and empty texts are skipped and counted; anything else malformed is an error naming the line.
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/cli_args.hpp"
#include "data/corpus.hpp"
#include "data/tokenizer.hpp"

#ifndef JEPA_VERSION
#define JEPA_VERSION "0.1.0"
#endif

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kUsage =
    "usage: jepa_prep --input FILE --output OUT.h5 (--vocab VOCAB.txt | --model-dir DIR) [options]\n"
    "\n"
    "Tokenizes a corpus (BERT-uncased WordPiece, same ids as HF tokenizers) into an HDF5 file for jepa_dist.\n"
    "\n"
    "  --input FILE         corpus: plain text (one document per line) or JSONL (one JSON object per line)\n"
    "  --output OUT.h5      HDF5 corpus to write (written to OUT.h5.tmp, renamed when complete; parent\n"
    "                       directories are created; an existing OUT.h5 is only replaced on success)\n"
    "  --vocab VOCAB.txt    WordPiece vocabulary (its SHA-256 is recorded in the output)\n"
    "  --model-dir DIR      a local Hugging Face model dir: use DIR/vocab.txt (for model.name=DIR)\n"
    "  --format F           auto|text|jsonl (default auto: jsonl for *.jsonl, *.ndjson, *.json, else text)\n"
    "  --max-length N       sequence length incl. [CLS]/[SEP]; bodies are truncated to N-2 tokens (default 512)\n"
    "  --max-docs N         stop after N documents (default: all)\n"
    "  --text-field NAME    JSONL field holding the text (default text)\n"
    "  --deflate L          compress the datasets with deflate level 1-9 (default 0: uncompressed, fastest reads)\n"
    "  -h, --help           this help\n"
    "\n"
    "Text lines are stripped of leading/trailing whitespace (Python str.strip() semantics, Unicode whitespace)\n"
    "and skipped when empty. Prints one summary line to stdout; errors are one line on stderr, exit status 1.\n";

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int) { g_interrupted = true; }

struct Args {
  std::string input, output, vocab, model_dir, format = "auto", text_field = "text";
  int64_t max_length = 512;
  std::optional<int64_t> max_docs;
  int deflate = 0;
};

int64_t parse_int(const std::string& flag, const std::string& v, int64_t min) {
  const auto x = jepa::tools::parse_int64(v);
  if (!x) throw Error(flag + " expects an integer, got '" + v + "'");
  if (*x < min) throw Error(flag + " must be at least " + std::to_string(min) + ", got " + v);
  return *x;
}

// --model-dir DIR: DIR/vocab.txt, which must exist; an uncased tokenizer (our WordPiece lower-cases).
std::string model_dir_vocab(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw Error("--model-dir '" + dir + "' is not a directory");
  const auto vocab = std::filesystem::path(dir) / "vocab.txt";
  if (!std::filesystem::is_regular_file(vocab, ec))
    throw Error("--model-dir '" + dir + "' has no vocab.txt (only WordPiece vocabularies are supported)");
  const auto tc = std::filesystem::path(dir) / "tokenizer_config.json";
  if (std::filesystem::is_regular_file(tc, ec)) {
    nlohmann::json j;
    try {
      std::ifstream in(tc);
      j = nlohmann::json::parse(in);
    } catch (const std::exception&) {
      throw Error("'" + tc.string() + "' is not valid JSON");
    }
    if (j.is_object() && j.contains("do_lower_case") && j["do_lower_case"].is_boolean() && !j["do_lower_case"].get<bool>())
      throw Error("--model-dir '" + dir + "' has a cased tokenizer (do_lower_case false); jepa_prep only does uncased WordPiece");
  }
  return vocab.string();
}

// Returns nullopt when --help was asked for.
std::optional<Args> parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i], value;
    if (flag == "-h" || flag == "--help") return std::nullopt;
    const auto eq = flag.find('=');
    bool has_value = false;
    if (flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    auto next = [&]() -> std::string {
      if (has_value) return value;
      if (i + 1 >= argc) throw Error(flag + " needs a value (see --help)");
      return argv[++i];
    };
    if (flag == "--input") a.input = next();
    else if (flag == "--output") a.output = next();
    else if (flag == "--vocab") a.vocab = next();
    else if (flag == "--model-dir") a.model_dir = next();
    else if (flag == "--format") a.format = next();
    else if (flag == "--text-field") a.text_field = next();
    else if (flag == "--max-length") a.max_length = parse_int(flag, next(), 2);
    else if (flag == "--max-docs") a.max_docs = parse_int(flag, next(), 0);
    else if (flag == "--deflate") a.deflate = static_cast<int>(parse_int(flag, next(), 0));
    else throw Error("unknown argument '" + flag + "' (see --help)");
  }
  if (a.input.empty()) throw Error("--input is required (see --help)");
  if (a.output.empty()) throw Error("--output is required (see --help)");
  if (!a.model_dir.empty()) {
    if (!a.vocab.empty()) throw Error("give either --vocab or --model-dir, not both");
    a.vocab = model_dir_vocab(a.model_dir);
  }
  if (a.vocab.empty()) throw Error("--vocab or --model-dir is required (see --help)");
  if (a.format != "auto" && a.format != "text" && a.format != "jsonl")
    throw Error("--format must be auto, text or jsonl, got '" + a.format + "'");
  if (a.deflate > 9) throw Error("--deflate must be 0-9");
  if (a.format == "auto") {
    const auto ext = std::filesystem::path(a.input).extension().string();
    a.format = (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") ? "jsonl" : "text";
  }
  return a;
}

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

// ---- input -------------------------------------------------------------------------------------------------

class LineReader {
 public:
  explicit LineReader(const std::string& path) : path_(path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error("input '" + path + "' not found");
    if (std::filesystem::is_directory(path, ec)) throw Error("input '" + path + "' is a directory");
    f_ = std::fopen(path.c_str(), "rb");
    if (!f_) throw Error("cannot open input '" + path + "': " + std::strerror(errno));
    struct stat st {};
    if (fstat(fileno(f_), &st) == 0 && S_ISREG(st.st_mode)) size_ = static_cast<uint64_t>(st.st_size);
  }
  ~LineReader() {
    if (f_) std::fclose(f_);
    std::free(buf_);
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Next line without its '\n'; false at end of input. A final line without '\n' still counts.
  bool next(std::string_view& line) {
    const ssize_t n = ::getline(&buf_, &cap_, f_);
    if (n < 0) {
      if (std::ferror(f_)) throw Error("cannot read input '" + path_ + "': " + std::strerror(errno));
      return false;
    }
    bytes_ += static_cast<uint64_t>(n);
    ++line_no_;
    size_t len = static_cast<size_t>(n);
    if (len > 0 && buf_[len - 1] == '\n') --len;
    line = std::string_view(buf_, len);
    return true;
  }
  uint64_t bytes() const { return bytes_; }
  uint64_t size() const { return size_; }  // 0 when unknown (not a regular file)
  int64_t line_no() const { return line_no_; }

 private:
  std::string path_;
  FILE* f_ = nullptr;
  char* buf_ = nullptr;
  size_t cap_ = 0;
  uint64_t bytes_ = 0, size_ = 0;
  int64_t line_no_ = 0;
};

// ---- progress ----------------------------------------------------------------------------------------------

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) b /= 1024, ++u;
  char s[32];
  std::snprintf(s, sizeof s, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return s;
}

// A progress bar on stderr, redrawn at most 10 times a second, only when stderr is a terminal; otherwise one
// final line.
class Progress {
 public:
  Progress() : tty_(isatty(STDERR_FILENO) == 1), start_(Clock::now()), last_(start_) {}
  void update(uint64_t bytes, uint64_t total, int64_t docs) {
    if (!tty_) return;
    const auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    draw(bytes, total, docs, now);
  }
  void finish(uint64_t bytes, uint64_t total, int64_t docs) {
    const auto now = Clock::now();
    if (tty_) {
      if (drawn_) {
        draw(bytes, total, docs, now);
        std::fputc('\n', stderr);
      }
      return;
    }
    const double s = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "jepa_prep: read %s, %lld documents in %.2f s\n", human_bytes(static_cast<double>(bytes)).c_str(),
                 static_cast<long long>(docs), s);
  }

 private:
  void draw(uint64_t bytes, uint64_t total, int64_t docs, Clock::time_point now) {
    drawn_ = true;
    const double s = std::max(1e-9, std::chrono::duration<double>(now - start_).count());
    const double rate = static_cast<double>(bytes) / s;
    if (total > 0) {
      const double frac = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total));
      constexpr int kWidth = 30;
      const int fill = static_cast<int>(frac * kWidth);
      std::string bar(static_cast<size_t>(fill), '#');
      bar.append(static_cast<size_t>(kWidth - fill), ' ');
      std::fprintf(stderr, "\r[%s] %5.1f%% %s / %s  %lld docs  %s/s   ", bar.c_str(), 100 * frac,
                   human_bytes(static_cast<double>(bytes)).c_str(), human_bytes(static_cast<double>(total)).c_str(),
                   static_cast<long long>(docs), human_bytes(rate).c_str());
    } else {
      std::fprintf(stderr, "\r%s  %lld docs  %s/s   ", human_bytes(static_cast<double>(bytes)).c_str(),
                   static_cast<long long>(docs), human_bytes(rate).c_str());
    }
    std::fflush(stderr);
  }

  bool tty_, drawn_ = false;
  Clock::time_point start_, last_;
};

// ---- main work ---------------------------------------------------------------------------------------------

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

// True when `a` and `b` name the same file: std::filesystem::equivalent when both exist, else equal
// weakly_canonical paths.
bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) {
    const bool eq = fs::equivalent(a, b, ec);
    if (!ec && eq) return true;
  }
  const auto ca = fs::weakly_canonical(fs::absolute(a), ec);
  if (ec) return false;
  const auto cb = fs::weakly_canonical(fs::absolute(b), ec);
  return !ec && ca == cb;
}

int run(const Args& a) {
  const auto t0 = Clock::now();
  // Nothing may be overwritten that we read: the output (or OUTPUT.tmp, written first) is not the input or vocab.
  for (const std::string& o : {a.output, a.output + ".tmp"})
    for (const auto& [what, path] : {std::pair<const char*, const std::string&>{"input", a.input},
                                     std::pair<const char*, const std::string&>{"vocab", a.vocab}})
      if (same_file(o, path))
        throw Error("output '" + a.output + "' would overwrite the " + what + " file '" + path + "'");
  LineReader in(a.input);  // input problems first: nothing is created before the inputs are known good
  std::error_code ec;
  if (!std::filesystem::exists(a.vocab, ec)) throw Error("vocab '" + a.vocab + "' not found");
  const auto tok = jepa::data::WordPieceTokenizer::from_vocab_file(a.vocab);
  if (std::filesystem::is_directory(a.output, ec)) throw Error("output '" + a.output + "' is a directory");
  const auto parent = std::filesystem::path(a.output).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) throw Error("cannot create output directory '" + parent.string() + "': " + ec.message());
  }

  jepa::data::CorpusMeta meta;
  meta.vocab_sha256 = tok.vocab_sha256();
  meta.vocab_size = static_cast<int64_t>(tok.vocab_size());
  meta.special = tok.special();
  meta.max_length = a.max_length;
  meta.source = a.input;
  meta.created_by = std::string("jepa_prep ") + JEPA_VERSION;
  jepa::data::CorpusWriter out(a.output, meta, a.deflate);

  const bool jsonl = a.format == "jsonl";
  const auto limit = static_cast<size_t>(a.max_length - 2);
  int64_t skipped = 0, truncated = 0, tokens = 0;
  Progress progress;
  std::string_view line;
  std::vector<int32_t> body;
  while ((!a.max_docs || out.docs() < *a.max_docs) && in.next(line)) {
    if (g_interrupted) throw Error("interrupted");
    std::string_view text = py_strip(line);
    std::string owned;
    if (jsonl && !text.empty()) {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(text);
      } catch (const nlohmann::json::parse_error& e) {
        throw Error(a.input + ":" + std::to_string(in.line_no()) + ": invalid JSON: " + one_line(e.what()));
      }
      if (!j.is_object()) throw Error(a.input + ":" + std::to_string(in.line_no()) + ": not a JSON object");
      const auto it = j.find(a.text_field);
      if (it == j.end())
        throw Error(a.input + ":" + std::to_string(in.line_no()) + ": no field \"" + a.text_field + "\"");
      if (!it->is_string())
        throw Error(a.input + ":" + std::to_string(in.line_no()) + ": field \"" + a.text_field +
                    "\" is not a string");
      owned = it->get<std::string>();
      text = py_strip(owned);
    }
    if (text.empty()) {
      ++skipped;
      continue;
    }
    body = tok.tokenize_body(text);
    if (body.size() > limit) {
      body.resize(limit);
      ++truncated;
    }
    tokens += static_cast<int64_t>(body.size());
    out.add(body);
    progress.update(in.bytes(), in.size(), out.docs());
  }
  if (g_interrupted) throw Error("interrupted");
  out.close();
  progress.finish(in.bytes(), in.size(), out.docs());
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("jepa_prep: wrote %lld docs, %lld empty lines skipped, %lld tokens, %lld truncated docs "
              "(max_length %lld), %.2f s -> %s\n",
              static_cast<long long>(out.docs()), static_cast<long long>(skipped), static_cast<long long>(tokens),
              static_cast<long long>(truncated), static_cast<long long>(a.max_length), s, a.output.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    const auto args = parse_args(argc, argv);
    if (!args) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    return run(*args);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "jepa_prep: error: %s\n", one_line(e.what()).c_str());
    return 1;
  }
}
