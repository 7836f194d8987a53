// jepa_prep: tokenizes a text or JSONL corpus once into the HDF5 layout of data/corpus.hpp.
//
// Input lines are read, stripped and (JSONL) parsed by data/line_reader.hpp, which states the line contract.
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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
#include "data/line_reader.hpp"
#include "data/paired_examples.hpp"
#include "data/tokenizer.hpp"

#ifndef JEPA_VERSION
#define JEPA_VERSION "0.1.0"
#endif

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kUsage =
    "usage: jepa_prep --input FILE --output OUT.h5 (--vocab VOCAB.txt | --model-dir DIR) [options]\n"
    "       jepa_prep --paired --input PAIRS.jsonl --output OUT.h5 [--bpe-vocab-size N | --tokenizer-from C.h5]\n"
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
    "  --paired             a paired corpus for train.objective=llm_jepa (design.md §9): JSONL lines\n"
    "                       {\"text\", \"code\"[, \"system\"]} or {\"messages\": [system/user/assistant]}, a byte-level\n"
    "                       BPE trained on them (or taken from --tokenizer-from), chat examples + view spans;\n"
    "                       --max-length N is the longest example kept (longer ones are skipped and counted)\n"
    "  --bpe-vocab-size N   --paired: BPE vocabulary incl. the chat specials (default 512)\n"
    "  --tokenizer-from C   --paired: reuse the BPE of paired corpus C.h5 (a test split with the train split's ids)\n"
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
  bool paired = false;
  int64_t bpe_vocab_size = 512;
  std::string tokenizer_from;
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
  jepa::tools::ArgWalker args(argc, argv);
  while (args.next()) {
    const auto& flag = args.flag();
    if (flag == "-h" || flag == "--help") return std::nullopt;
    if (flag == "--input") a.input = args.value();
    else if (flag == "--output") a.output = args.value();
    else if (flag == "--vocab") a.vocab = args.value();
    else if (flag == "--model-dir") a.model_dir = args.value();
    else if (flag == "--format") a.format = args.value();
    else if (flag == "--text-field") a.text_field = args.value();
    else if (flag == "--max-length") a.max_length = parse_int(flag, args.value(), 2);
    else if (flag == "--max-docs") a.max_docs = parse_int(flag, args.value(), 0);
    else if (flag == "--deflate") a.deflate = static_cast<int>(parse_int(flag, args.value(), 0));
    else if (flag == "--paired") a.paired = true;
    else if (flag == "--bpe-vocab-size") a.bpe_vocab_size = parse_int(flag, args.value(), 256 + 7);
    else if (flag == "--tokenizer-from") a.tokenizer_from = args.value();
    else throw Error("unknown argument '" + flag + "' (see --help)");
  }
  if (a.input.empty()) throw Error("--input is required (see --help)");
  if (a.output.empty()) throw Error("--output is required (see --help)");
  if (a.paired) {
    if (!a.vocab.empty() || !a.model_dir.empty())
      throw Error("--paired trains its own byte-level BPE: --vocab/--model-dir do not apply");
    if (a.max_length < 8) throw Error("--paired: --max-length must be at least 8");
    return a;
  }
  if (!a.tokenizer_from.empty()) throw Error("--tokenizer-from applies to --paired corpora");
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

// --paired: chat examples + view spans under a byte-level BPE (data/paired_examples.hpp).
int run_paired(const Args& a) {
  const auto t0 = Clock::now();
  for (const std::string& o : {a.output, a.output + ".tmp"})
    if (same_file(o, a.input) || (!a.tokenizer_from.empty() && same_file(o, a.tokenizer_from)))
      throw Error("output '" + a.output + "' would overwrite an input file");
  auto examples = jepa::data::read_paired_jsonl(a.input);
  if (a.max_docs && static_cast<int64_t>(examples.size()) > *a.max_docs) examples.resize(static_cast<size_t>(*a.max_docs));
  if (examples.empty()) throw Error("input '" + a.input + "' holds no examples");
  jepa::data::BpeTokenizer tok;
  if (!a.tokenizer_from.empty()) {
    const jepa::data::CorpusReader from(a.tokenizer_from);
    if (!from.meta().paired()) throw Error("--tokenizer-from '" + a.tokenizer_from + "' is not a paired corpus");
    tok = jepa::data::BpeTokenizer::from_text(from.meta().tokenizer_spec);
  } else {
    std::vector<std::string> texts;
    for (const auto& e : examples) {
      texts.push_back(e.text);
      texts.push_back(e.code);
      if (!e.system.empty()) texts.push_back(e.system);
    }
    tok = jepa::data::BpeTokenizer::train(texts, a.bpe_vocab_size, jepa::data::chat_specials());
  }
  const auto ids = jepa::data::ChatIds::of(tok);
  std::error_code ec;
  const auto parent = std::filesystem::path(a.output).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  jepa::data::CorpusMeta meta;
  meta.tokenizer = "byte-bpe";
  meta.tokenizer_spec = tok.to_text();
  meta.vocab_sha256 = tok.sha256();
  meta.vocab_size = tok.vocab_size();
  meta.special.cls = ids.bos;
  meta.special.sep = ids.end;
  meta.special.mask = ids.pred;
  meta.special.pad = ids.pad;
  meta.special.unk = ids.pad;
  meta.max_length = a.max_length;
  meta.layout = "paired";
  meta.source = a.input;
  meta.created_by = std::string("jepa_prep ") + JEPA_VERSION;
  jepa::data::CorpusWriter out(a.output, meta, a.deflate);
  int64_t skipped = 0, tokens = 0;
  for (const auto& e : examples) {
    if (g_interrupted) throw Error("interrupted");
    const auto p = jepa::data::encode_example(tok, e);
    if (static_cast<int64_t>(p.doc.size()) > a.max_length) {
      ++skipped;  // a cut example would teach a wrong answer
      continue;
    }
    tokens += static_cast<int64_t>(p.doc.size());
    out.add_paired(p.doc, p.views);
  }
  out.close();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("jepa_prep: wrote %lld paired examples, %lld longer than max_length %lld skipped, %lld tokens "
              "(%.1f per example), BPE vocabulary %lld, %.2f s -> %s\n",
              static_cast<long long>(out.docs()), static_cast<long long>(skipped), static_cast<long long>(a.max_length),
              static_cast<long long>(tokens), out.docs() ? static_cast<double>(tokens) / static_cast<double>(out.docs()) : 0.0,
              static_cast<long long>(tok.vocab_size()), s, a.output.c_str());
  return 0;
}

int run(const Args& a) {
  if (a.paired) return run_paired(a);
  const auto t0 = Clock::now();
  // Nothing may be overwritten that we read: the output (or OUTPUT.tmp, written first) is not the input or vocab.
  for (const std::string& o : {a.output, a.output + ".tmp"})
    for (const auto& [what, path] : {std::pair<const char*, const std::string&>{"input", a.input},
                                     std::pair<const char*, const std::string&>{"vocab", a.vocab}})
      if (same_file(o, path))
        throw Error("output '" + a.output + "' would overwrite the " + what + " file '" + path + "'");
  // Input problems first: nothing is created before the inputs are known good.
  using jepa::data::LineFormat;
  jepa::data::LineReader in(a.input, a.format == "jsonl" ? LineFormat::kJsonl : LineFormat::kText, a.text_field);
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

  const auto limit = static_cast<size_t>(a.max_length - 2);
  int64_t skipped = 0, truncated = 0, tokens = 0;
  Progress progress;
  std::string_view text;
  std::vector<int32_t> body;
  while ((!a.max_docs || out.docs() < *a.max_docs) && in.next(text)) {
    if (g_interrupted) throw Error("interrupted");
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
    std::fprintf(stderr, "jepa_prep: error: %s\n", jepa::tools::one_line(e.what()).c_str());
    return 1;
  }
}
