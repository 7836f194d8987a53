// jepa_regex_gen: writes the NL<->regex paired-view dataset (docs/regex_task.md), or compares two regexes.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "task/regex_ast.hpp"
#include "task/regex_equiv.hpp"
#include "task/regex_generate.hpp"
#include "tools/cli_args.hpp"

namespace {

namespace fs = std::filesystem;
using jepa::tools::UsageError;

constexpr const char* kUsage =
    "usage: jepa_regex_gen --out DIR --train N --test M [--seed S] [--format text|chat] [--system PROMPT]\n"
    "       jepa_regex_gen --equiv REGEX_A REGEX_B\n"
    "\n"
    "Writes DIR/train.jsonl and DIR/test.jsonl: distinct NL-RX-style (description, regex) pairs, no regex in both\n"
    "files. Each file is written to FILE.tmp and renamed when complete; DIR is created.\n"
    "\n"
    "  --out DIR         output directory\n"
    "  --train N         training pairs\n"
    "  --test M          test pairs (N + M <= 100000)\n"
    "  --seed S          generator seed (default 0); the output is a function of (S, N, M) only\n"
    "  --format F        text (default): {\"text\": description, \"code\": regex} per line;\n"
    "                    chat: {\"messages\": [system, user = description, assistant = regex]} per line\n"
    "  --system PROMPT   the chat format's system message (default \"Convert natural language to regular expression.\")\n"
    "  --equiv A B       print 'equivalent' or 'different' (with a distinguishing string) for two regexes\n"
    "  -h, --help        this help\n"
    "\n"
    "Errors are one line on stderr, exit status 2 (1 when writing fails).\n";

// The grammar holds a few hundred thousand distinct languages, ever slower to find; stay well inside.
constexpr int64_t kMaxPairs = 100000;

int64_t count_arg(const std::string& flag, const std::string& v) {
  const auto x = jepa::tools::parse_int64(v);
  if (!x || *x < 0 || *x > kMaxPairs) throw UsageError(flag + " expects an integer in [0, " + std::to_string(kMaxPairs) + "], got '" + v + "'");
  return *x;
}

void write_jsonl(const fs::path& path, const std::vector<jepa::task::Pair>& pairs, bool chat, const std::string& system) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot create '" + tmp.string() + "'");
    for (const auto& p : pairs) {
      nlohmann::ordered_json j;
      if (chat) {
        j["messages"] = nlohmann::ordered_json::array(
            {{{"role", "system"}, {"content", system}},
             {{"role", "user"}, {"content", p.text}},
             {{"role", "assistant"}, {"content", p.code}}});
      } else {
        j["text"] = p.text;
        j["code"] = p.code;
      }
      out << j.dump() << '\n';
    }
    out.flush();
    if (!out) throw std::runtime_error("cannot write '" + tmp.string() + "'");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("cannot rename '" + tmp.string() + "' to '" + path.string() + "': " + ec.message());
}

int run_equiv(const std::string& a, const std::string& b) {
  jepa::task::RegexPtr ra, rb;
  try {
    ra = jepa::task::parse_regex(a);
  } catch (const jepa::task::RegexParseError& e) {
    throw UsageError(std::string("first regex: ") + e.what());
  }
  try {
    rb = jepa::task::parse_regex(b);
  } catch (const jepa::task::RegexParseError& e) {
    throw UsageError(std::string("second regex: ") + e.what());
  }
  const auto w = jepa::task::counterexample(*ra, *rb);
  if (!w) {
    std::cout << "equivalent\n";
  } else {
    const bool in_a = jepa::task::matches(*ra, *w);
    std::cout << "different: \"" << *w << "\" is matched by the " << (in_a ? "first" : "second") << " only\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::optional<std::string> out;
    std::optional<int64_t> n_train, n_test;
    uint64_t seed = 0;
    std::string format = "text", system = "Convert natural language to regular expression.";
    std::vector<std::string> equiv;
    jepa::tools::ArgWalker args(argc, argv);
    while (args.next()) {
      const std::string& f = args.flag();
      if (f == "-h" || f == "--help") {
        std::cout << kUsage;
        return 0;
      } else if (f == "--out") {
        out = args.value();
      } else if (f == "--train") {
        n_train = count_arg(f, args.value());
      } else if (f == "--test") {
        n_test = count_arg(f, args.value());
      } else if (f == "--seed") {
        const std::string v = args.value();
        const auto x = jepa::tools::parse_int64(v);
        if (!x || *x < 0) throw UsageError("--seed expects a non-negative integer, got '" + v + "'");
        seed = static_cast<uint64_t>(*x);
      } else if (f == "--format") {
        format = args.value();
        if (format != "text" && format != "chat") throw UsageError("--format must be text or chat, got '" + format + "'");
      } else if (f == "--system") {
        system = args.value();
      } else if (f == "--equiv") {
        equiv.push_back(args.value(" (two regexes)"));
        if (!args.next()) throw UsageError("--equiv needs two regexes");
        equiv.push_back(args.flag());
      } else {
        throw UsageError("unknown argument '" + f + "' (see --help)");
      }
    }
    if (!equiv.empty()) {
      if (out || n_train || n_test) throw UsageError("--equiv takes no other options");
      return run_equiv(equiv[0], equiv[1]);
    }
    if (!out) throw UsageError("--out is required (see --help)");
    if (!n_train || !n_test) throw UsageError("--train and --test are required (see --help)");
    if (*n_train + *n_test > kMaxPairs)
      throw UsageError("--train + --test is " + std::to_string(*n_train + *n_test) + ", more than the " +
                       std::to_string(kMaxPairs) + " distinct regexes the generator is sure to find");

    const auto pairs = jepa::task::generate_pairs(seed, *n_train + *n_test);
    const auto split = jepa::task::split_by_regex(pairs, *n_test, seed);
    try {
      fs::create_directories(*out);
      write_jsonl(fs::path(*out) / "train.jsonl", split.train, format == "chat", system);
      write_jsonl(fs::path(*out) / "test.jsonl", split.test, format == "chat", system);
    } catch (const std::exception& e) {
      std::cerr << "jepa_regex_gen: " << jepa::tools::one_line(e.what()) << '\n';
      return 1;
    }
    std::cout << "wrote " << split.train.size() << " train and " << split.test.size() << " test pairs to " << *out
              << '\n';
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "jepa_regex_gen: " << jepa::tools::one_line(e.what()) << '\n';
    return 2;
  }
}
