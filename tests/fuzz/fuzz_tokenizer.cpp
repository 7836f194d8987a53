// Fuzz target: the WordPiece tokenizer (UTF-8 decoding, NFD/lower-casing/accent stripping through ICU, punctuation
// and CJK splitting, special tokens in raw text, greedy longest match) and the vocab file reader.
// Input: first byte selects the mode.
//   even: raw text against a fixed vocabulary (special tokens, words, ##pieces, accents, CJK, punctuation);
//   odd:  the rest is a vocab file; loading either throws std::runtime_error with one line, or the tokenizer works.
// Invariants: every id is in [0, vocab_size); encode() = [CLS] body[:max_length-2] [SEP]; tokenize() and
// tokenize_body() agree piece for piece.
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/tokenizer.hpp"
#include "fuzz_input.hpp"

namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const auto path = (jepa::fuzz::scratch() / name).string();
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  return path;
}

const jepa::data::WordPieceTokenizer& fixed_tokenizer() {
  static const auto tok = [] {
    std::string vocab = "[PAD]\n";
    for (int i = 1; i < 100; ++i) vocab += "[unused" + std::to_string(i) + "]\n";
    vocab += "[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
    for (const char* t : {"the", "a", "un", "##aff", "##able", "##s", "run", "##ning", "cafe", "naive", "resume",
                          "!", ",", ".", "?", "'", "\"", "(", ")", "$", "##ly", "quick", "brown", "fox", "中", "国",
                          "日", "本", "ä", "é", "1", "##2", "##3", "0", "x", "##x", "hello", "world", "jepa", "##-"})
      vocab += std::string(t) + "\n";
    return jepa::data::WordPieceTokenizer::from_vocab_file(write_file("vocab_fixed.txt", vocab));
  }();
  return tok;
}

void exercise(const jepa::data::WordPieceTokenizer& tok, const std::string& text, size_t max_length) {
  using jepa::fuzz::require;
  const auto body = tok.tokenize_body(text);
  const auto pieces = tok.tokenize(text);
  require(body.size() == pieces.size(), "tokenize and tokenize_body disagree on the number of pieces");
  for (size_t i = 0; i < body.size(); ++i) {
    require(body[i] >= 0 && static_cast<size_t>(body[i]) < tok.vocab_size(), "id outside the vocabulary");
    require(tok.token_to_id(pieces[i]) == body[i], "piece and id disagree");
  }
  const auto ids = tok.encode(text, max_length);
  const auto& sp = tok.special();
  const size_t keep = max_length < 2 ? 0 : std::min(body.size(), max_length - 2);
  require(ids.size() == keep + 2, "encode length is not min(body, max_length - 2) + 2");
  require(ids.front() == sp.cls && ids.back() == sp.sep, "encode does not frame the body with [CLS] ... [SEP]");
  for (size_t i = 0; i < keep; ++i) require(ids[i + 1] == body[i], "encode's body differs from tokenize_body");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jepa;
  fuzz::Bytes in(data, size);
  const uint8_t mode = in.u8();
  const size_t max_length = in.u8() % 40;
  if (mode % 2 == 0) {
    exercise(fixed_tokenizer(), in.rest(), max_length);
    return 0;
  }
  const std::string text = in.str(64);
  try {
    const auto tok = data::WordPieceTokenizer::from_vocab_file(write_file("vocab_fuzzed.txt", in.rest()), mode & 2);
    exercise(tok, text, max_length);
  } catch (const std::runtime_error& e) {
    fuzz::require_one_line(e.what(), "vocab file");
  }
  return 0;
}
