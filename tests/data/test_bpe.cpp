// Byte-level BPE (src/data/bpe.hpp): hand-computed merges, training contract, encode/decode round trips,
// serialization. The comparison with an independent encoder (HF `tokenizers`) is tests/golden/test_bpe_hf.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "data/bpe.hpp"

using jepa::data::BpeTokenizer;

namespace {

using Ids = std::vector<int32_t>;
using Strings = std::vector<std::string>;

// datasets/shipped.txt: ~500 lines of English prose (with a few accents).
Strings shipped_lines() {
  std::ifstream in(std::string(JEPA_SOURCE_DIR) + "/datasets/shipped.txt", std::ios::binary);
  Strings lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// Random byte strings: all byte values, with spaces and newlines over-represented.
Strings random_byte_strings(uint32_t seed, int n, size_t max_len) {
  std::mt19937 rng(seed);
  Strings out;
  for (int i = 0; i < n; ++i) {
    std::string s(rng() % (max_len + 1), '\0');
    for (auto& c : s) {
      const uint32_t r = rng() % 10;
      c = r < 2 ? ' ' : r < 3 ? '\n' : r < 5 ? static_cast<char>('a' + rng() % 3) : static_cast<char>(rng() % 256);
    }
    out.push_back(s);
  }
  return out;
}

// Synthetic prose: a Zipf-like draw from `n_words` random lowercase words, with punctuation.
Strings synthetic_corpus(uint32_t seed, int lines, int n_words) {
  std::mt19937 rng(seed);
  Strings words;
  for (int i = 0; i < n_words; ++i) {
    std::string w(2 + rng() % 9, 'a');
    for (auto& c : w) c = static_cast<char>('a' + rng() % 26);
    words.push_back(w);
  }
  std::vector<double> weights;
  for (int i = 0; i < n_words; ++i) weights.push_back(1.0 / (i + 1));
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  Strings out;
  for (int l = 0; l < lines; ++l) {
    std::string s;
    const int n = 5 + static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i) {
      if (i) s += ' ';
      s += words[static_cast<size_t>(pick(rng))];
      if (rng() % 10 == 0) s += ',';
    }
    s += '.';
    out.push_back(s);
  }
  return out;
}

size_t total_bytes(const Strings& texts) {
  size_t n = 0;
  for (const auto& t : texts) n += t.size();
  return n;
}

// The exception message of f(), or "" when it does not throw std::runtime_error.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

const Strings kEdgeCases = {"",     " ",   "  ",       "   a",          "a ",     "a  b",     "\n",
                            "\n\n ", " \n", "a\tb c",   "\xff\xfe\xfd", "\xc3",   "caf\xc3\xa9",
                            std::string("a\0b \0", 5), "<|end|>", " <|end|> ", "\\x20", "\\", "aaaaaaaaaaaaaaaaa"};

// The training rule written the slow, obvious way: recount every pair of every chunk occurrence before each merge.
// Returns the merges as (left bytes, right bytes).
std::vector<std::pair<std::string, std::string>> naive_train(const Strings& texts, int64_t n_tokens) {
  std::vector<std::vector<std::string>> words;  // one per chunk occurrence, as token byte strings
  for (const auto& t : texts)
    for (const auto c : BpeTokenizer::chunks(t)) {
      std::vector<std::string> w;
      for (const char ch : c) w.emplace_back(1, ch);
      words.push_back(w);
    }
  std::map<std::string, int32_t> ids;
  for (int b = 0; b < 256; ++b) ids[std::string(1, static_cast<char>(b))] = b;
  std::vector<std::pair<std::string, std::string>> merges;
  while (static_cast<int64_t>(ids.size()) < n_tokens) {
    std::map<std::pair<int32_t, int32_t>, int64_t> count;
    for (const auto& w : words)
      for (size_t i = 0; i + 1 < w.size(); ++i) ++count[{ids.at(w[i]), ids.at(w[i + 1])}];
    if (count.empty()) break;
    auto best = count.begin();  // highest count, then smallest (left, right): std::map iterates pairs in order
    for (auto it = count.begin(); it != count.end(); ++it)
      if (it->second > best->second) best = it;
    std::string l, r;
    for (const auto& [bytes, id] : ids) {
      if (id == best->first.first) l = bytes;
      if (id == best->first.second) r = bytes;
    }
    merges.emplace_back(l, r);
    if (!ids.count(l + r)) {
      const auto next = static_cast<int32_t>(ids.size());
      ids[l + r] = next;
    }
    for (auto& w : words) {
      std::vector<std::string> out;
      for (size_t i = 0; i < w.size(); ++i) {
        if (i + 1 < w.size() && w[i] == l && w[i + 1] == r) {
          out.push_back(l + r);
          ++i;
        } else {
          out.push_back(w[i]);
        }
      }
      w = out;
    }
  }
  return merges;
}

}  // namespace

// ---- hand-computed examples ------------------------------------------------------------------------------------

TEST(BpeHand, TinyCorpusMerges) {
  // "aaab": pairs aa x2, ab x1 -> merge (a,a)=256; word [aa,a,b]: pairs (aa,a) 1, (a,b) 1, tie -> smaller pair
  // (97,98) first: (a,b)=257; word [aa,ab] -> (aa,ab)=258 "aaab"; then no pair is left: 259 tokens, the special
  // is 259, vocabulary 260 < 300 asked.
  const auto t = BpeTokenizer::train({"aaab"}, 300, {"<|end|>"});
  EXPECT_EQ(t.merges(), (std::vector<std::pair<int32_t, int32_t>>{{97, 97}, {97, 98}, {256, 257}}));
  EXPECT_EQ(t.token_bytes(256), "aa");
  EXPECT_EQ(t.token_bytes(257), "ab");
  EXPECT_EQ(t.token_bytes(258), "aaab");
  EXPECT_EQ(t.num_tokens(), 259);
  EXPECT_EQ(t.vocab_size(), 260);
  EXPECT_EQ(t.special_id("<|end|>"), 259);
  EXPECT_EQ(t.encode("aaab"), (Ids{258}));
  EXPECT_EQ(t.encode("aaaa"), (Ids{256, 256}));      // leftmost first: [aa,a,a] -> [aa,aa]; no (aa,aa) merge
  EXPECT_EQ(t.encode("aaa"), (Ids{256, 97}));
  EXPECT_EQ(t.encode("ab aaab"), (Ids{257, 32, 258}));  // " aaab" is one chunk, but (32,97) has no merge
  EXPECT_EQ(t.encode("baaab"), (Ids{98, 258}));
  EXPECT_EQ(t.to_text(), "jepa-bpe v1\nvocab_size 260\nspecials 1\nspecial <|end|>\nmerges 3\n"
                         "a a\na b\naa ab\nend\n");
}

TEST(BpeHand, TiesGoToTheSmallerPair) {
  // (a,b) and (c,d) both occur once: (97,98) < (99,100) is merged first.
  const auto one = BpeTokenizer::train({"ab", "cd"}, 257, {});
  EXPECT_EQ(one.merges(), (std::vector<std::pair<int32_t, int32_t>>{{97, 98}}));
  EXPECT_EQ(one.vocab_size(), 257);
  // More frequent beats smaller: (c,d) occurs twice.
  const auto two = BpeTokenizer::train({"ab", "cd cd"}, 258, {});
  EXPECT_EQ(two.merges(), (std::vector<std::pair<int32_t, int32_t>>{{99, 100}, {32, 256}}));
  EXPECT_EQ(two.token_bytes(257), " cd");
}

TEST(BpeHand, ChunksStartAtEverySpace) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(BpeTokenizer::chunks("a  b\n c"), (V{"a", " ", " b\n", " c"}));
  EXPECT_EQ(BpeTokenizer::chunks(""), V{});
  EXPECT_EQ(BpeTokenizer::chunks(" x"), V{" x"});
  EXPECT_EQ(BpeTokenizer::chunks("x "), (V{"x", " "}));
  EXPECT_EQ(BpeTokenizer::chunks("   "), (V{" ", " ", " "}));
  EXPECT_EQ(BpeTokenizer::chunks("hello world\tfoo"), (V{"hello", " world\tfoo"}));
}

TEST(BpeHand, MergesNeverCrossChunks) {
  // Chunks "a", " a", " a", " a": the only pair is (' ', a); "a " or "a a" can never become a token.
  const auto t = BpeTokenizer::train({"a a a a"}, 1000, {});
  EXPECT_EQ(t.merges(), (std::vector<std::pair<int32_t, int32_t>>{{32, 97}}));
  EXPECT_EQ(t.vocab_size(), 257);
  EXPECT_EQ(t.encode("a a a a"), (Ids{97, 256, 256, 256}));
  EXPECT_EQ(t.encode("a  a"), (Ids{97, 32, 256}));
}

TEST(BpeHand, SecondMergeRouteReusesTheToken) {
  // "abc" is reached by (ab,c) and by (a,bc): one token, id 257, two merge rules (as HF's trainer does).
  const std::string text =
      "jepa-bpe v1\nvocab_size 259\nspecials 0\nmerges 4\na b\nab c\nb c\na bc\nend\n";
  const auto t = BpeTokenizer::from_text(text);
  EXPECT_EQ(t.num_tokens(), 259);
  EXPECT_EQ(t.token_bytes(256), "ab");
  EXPECT_EQ(t.token_bytes(257), "abc");
  EXPECT_EQ(t.token_bytes(258), "bc");
  EXPECT_EQ(t.merges().size(), 4u);
  EXPECT_EQ(t.merges()[3], (std::pair<int32_t, int32_t>{97, 258}));
  EXPECT_EQ(t.encode("abc"), (Ids{257}));
  EXPECT_EQ(t.encode("xbc"), (Ids{120, 258}));
  EXPECT_EQ(t.encode("abcbc"), (Ids{257, 258}));
  EXPECT_EQ(t.to_text(), text);
}

// ---- training contract -----------------------------------------------------------------------------------------

TEST(BpeTrain, VocabSizeIsExactAndSpecialsComeLast) {
  const auto lines = shipped_lines();
  ASSERT_GT(lines.size(), 100u);
  const auto t = BpeTokenizer::train(lines, 600, {"<|end|>", "<|pad|>"});
  EXPECT_EQ(t.vocab_size(), 600);
  EXPECT_EQ(t.num_tokens(), 598);
  EXPECT_EQ(t.merges().size(), 342u);  // every merge of English prose adds a new token here
  EXPECT_EQ(t.special_id("<|end|>"), 598);
  EXPECT_EQ(t.special_id("<|pad|>"), 599);
  EXPECT_EQ(t.specials(), (Strings{"<|end|>", "<|pad|>"}));
  // No specials, smallest vocabulary: bytes only.
  const auto bytes = BpeTokenizer::train(lines, 256, {});
  EXPECT_EQ(bytes.vocab_size(), 256);
  EXPECT_TRUE(bytes.merges().empty());
}

TEST(BpeTrain, StopsEarlyWhenNoPairIsLeft) {
  // Asked for far more than the corpus can give: training stops when every chunk is a single token, and the
  // vocabulary is smaller than asked (specials still come right after the last merged token).
  const Strings texts = {"the cat", "the hat", "a cat"};
  const auto t = BpeTokenizer::train(texts, 5000, {"<|end|>"});
  EXPECT_LT(t.vocab_size(), 5000);
  EXPECT_EQ(t.special_id("<|end|>"), t.num_tokens());
  EXPECT_EQ(t.vocab_size(), t.num_tokens() + 1);
  for (const auto& text : texts)
    for (const auto chunk : BpeTokenizer::chunks(text)) EXPECT_EQ(t.encode(chunk).size(), 1u) << chunk;
  // Empty corpus: bytes only.
  EXPECT_EQ(BpeTokenizer::train({}, 1000, {}).vocab_size(), 256);
  EXPECT_EQ(BpeTokenizer::train({"", " ", "x"}, 1000, {}).vocab_size(), 256);
}

TEST(BpeTrain, RejectsBadArguments) {
  EXPECT_NE(error_of([] { BpeTokenizer::train({"ab"}, 255, {}); }).find("vocab_size 255"), std::string::npos);
  EXPECT_NE(error_of([] { BpeTokenizer::train({"ab"}, 257, {"<a>", "<b>"}); }).find("2 special"),
            std::string::npos);
  EXPECT_NE(error_of([] { BpeTokenizer::train({"ab"}, 300, {""}); }).find("empty special"), std::string::npos);
  EXPECT_NE(error_of([] { BpeTokenizer::train({"ab"}, 300, {"<a>", "<a>"}); }).find("'<a>' given twice"),
            std::string::npos);
}

TEST(BpeTrain, MatchesANaiveTrainer) {
  // Small alphabets give many overlapping pairs and count ties; the naive trainer recounts from scratch.
  std::mt19937 rng(11);
  for (int trial = 0; trial < 150; ++trial) {
    const std::string alphabet = trial % 3 == 0 ? "ab " : trial % 3 == 1 ? "abc " : "aab c";
    Strings texts;
    for (int i = 0, n = 1 + static_cast<int>(rng() % 12); i < n; ++i) {
      std::string s(rng() % 16, 'a');
      for (auto& c : s) c = alphabet[rng() % alphabet.size()];
      texts.push_back(s);
    }
    const int64_t vocab = 256 + static_cast<int64_t>(rng() % 40);
    const auto t = BpeTokenizer::train(texts, vocab, {});
    const auto expected = naive_train(texts, vocab);
    ASSERT_EQ(t.merges().size(), expected.size()) << "trial " << trial;
    for (size_t m = 0; m < expected.size(); ++m) {
      ASSERT_EQ(t.token_bytes(t.merges()[m].first), expected[m].first) << "trial " << trial << " merge " << m;
      ASSERT_EQ(t.token_bytes(t.merges()[m].second), expected[m].second) << "trial " << trial << " merge " << m;
    }
  }
  Strings lines = shipped_lines();
  lines.resize(60);
  const auto t = BpeTokenizer::train(lines, 400, {});
  const auto expected = naive_train(lines, 400);
  ASSERT_EQ(t.merges().size(), expected.size());
  for (size_t m = 0; m < expected.size(); ++m)
    ASSERT_EQ(t.token_bytes(t.merges()[m].first) + "|" + t.token_bytes(t.merges()[m].second),
              expected[m].first + "|" + expected[m].second) << "merge " << m;
}

TEST(BpeTrain, IsDeterministic) {
  auto lines = shipped_lines();
  const auto a = BpeTokenizer::train(lines, 800, {"<|end|>"});
  const auto b = BpeTokenizer::train(lines, 800, {"<|end|>"});
  EXPECT_EQ(a.to_text(), b.to_text());
  EXPECT_EQ(a.sha256(), b.sha256());
  // The order of the texts does not matter (only chunk frequencies do).
  std::reverse(lines.begin(), lines.end());
  EXPECT_EQ(BpeTokenizer::train(lines, 800, {"<|end|>"}).to_text(), a.to_text());
  // Different specials or size: different text and hash.
  EXPECT_NE(BpeTokenizer::train(lines, 800, {"<|eos|>"}).sha256(), a.sha256());
  EXPECT_NE(BpeTokenizer::train(lines, 799, {"<|end|>"}).sha256(), a.sha256());
}

TEST(BpeTrain, MergesReduceTheTokenCount) {
  const auto lines = shipped_lines();
  const auto t = BpeTokenizer::train(lines, 1000, {});
  size_t n_ids = 0;
  for (const auto& l : lines) n_ids += t.encode(l).size();
  const size_t n_bytes = total_bytes(lines);
  // ~2.8 bytes per token on its own (small) training text at 1000 ids.
  EXPECT_LT(n_ids * 5, n_bytes * 2) << n_ids << " ids for " << n_bytes << " bytes";
  // More merges, fewer tokens.
  const auto small = BpeTokenizer::train(lines, 300, {});
  size_t n_small = 0;
  for (const auto& l : lines) n_small += small.encode(l).size();
  EXPECT_LT(n_ids, n_small);
  EXPECT_LT(n_small, n_bytes);
}

TEST(BpeTrain, HundredThousandLinesTrainInSeconds) {
  const auto lines = synthetic_corpus(7, 100000, 20000);
  const auto t0 = std::chrono::steady_clock::now();
  const auto t = BpeTokenizer::train(lines, 1000, {"<|end|>"});
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(t.vocab_size(), 1000);
  const auto t1 = std::chrono::steady_clock::now();
  size_t n_ids = 0;
  for (const auto& l : lines) n_ids += t.encode(l).size();
  const double encode_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  const double mb = static_cast<double>(total_bytes(lines)) / 1e6;
  std::printf("[ bpe      ] train %zu lines (%.1f MB), vocab 1000: %.2f s; encode: %.2f s (%.1f MB/s, %zu ids)\n",
              lines.size(), mb, train_s, encode_s, mb / encode_s, n_ids);
  // Generous bounds (shared CI machines, sanitizer builds); typical numbers are far lower.
  EXPECT_LT(train_s, 30.0);
  EXPECT_LT(encode_s, 30.0);
}

// ---- encode / decode -------------------------------------------------------------------------------------------

TEST(BpeEncode, RoundTripsRandomBytes) {
  const auto text_tok = BpeTokenizer::train(shipped_lines(), 700, {"<|end|>"});
  const auto bytes_train = random_byte_strings(1, 2000, 60);
  const auto byte_tok = BpeTokenizer::train(bytes_train, 2000, {"<|end|>"});
  ASSERT_GT(byte_tok.merges().size(), 500u);
  for (const auto* t : {&text_tok, &byte_tok}) {
    for (const auto& s : random_byte_strings(2, 3000, 200)) {
      const auto ids = t->encode(s);
      for (const auto id : ids) ASSERT_LT(id, t->num_tokens());
      ASSERT_EQ(t->decode(ids), s);
    }
    for (const auto& s : kEdgeCases) EXPECT_EQ(t->decode(t->encode(s)), s) << s;
  }
}

TEST(BpeEncode, RoundTripsTextAndEdgeCases) {
  const auto lines = shipped_lines();
  const auto t = BpeTokenizer::train(lines, 1000, {"<|end|>"});
  std::string all;
  for (const auto& l : lines) {
    EXPECT_EQ(t.decode(t.encode(l)), l);
    all += l + "\n";
  }
  EXPECT_EQ(t.decode(t.encode(all)), all);  // one long multi-line text
  for (const auto& s : kEdgeCases) EXPECT_EQ(t.decode(t.encode(s)), s) << s;
  EXPECT_TRUE(t.encode("").empty());
  // Encoding is per chunk: a text's ids are its chunks' ids concatenated.
  const std::string s = "  the spreadsheet  had grown ";
  Ids joined;
  for (const auto chunk : BpeTokenizer::chunks(s)) {
    const auto ids = t.encode(chunk);
    joined.insert(joined.end(), ids.begin(), ids.end());
  }
  EXPECT_EQ(t.encode(s), joined);
}

TEST(BpeEncode, NeverEmitsSpecials) {
  Strings texts(200, "<|end|> hello <|end|>world<|end|>");
  const auto t = BpeTokenizer::train(texts, 400, {"<|end|>", "<|pad|>"});
  const auto ids = t.encode("<|end|>hello <|end|> <|pad|>");
  for (const auto id : ids) EXPECT_LT(id, t.num_tokens());
  EXPECT_EQ(t.decode(ids), "<|end|>hello <|end|> <|pad|>");
  // Training merged "<|end|>" into ordinary tokens: the byte string is a token, distinct from the special.
  const auto end_ids = t.encode("<|end|>");
  ASSERT_EQ(end_ids.size(), 1u);
  EXPECT_NE(end_ids[0], t.special_id("<|end|>"));
}

TEST(BpeDecode, SpecialsAndRangeChecks) {
  const auto t = BpeTokenizer::train({"hello world"}, 270, {"<|end|>", "<|pad|>"});
  const int32_t end = t.special_id("<|end|>"), pad = t.special_id("<|pad|>");
  auto ids = t.encode("hello");
  ids.push_back(end);
  ids.push_back(pad);
  EXPECT_EQ(t.decode(ids), "hello<|end|><|pad|>");
  EXPECT_EQ(t.decode_until(ids, end), "hello");
  EXPECT_EQ(t.decode_until(ids, pad), "hello<|end|>");
  EXPECT_EQ(t.decode_until(ids, 12345), "hello<|end|><|pad|>");
  EXPECT_EQ(t.decode({}), "");
  const std::string what = error_of([&] { t.decode({104, static_cast<int32_t>(t.vocab_size())}); });
  EXPECT_NE(what.find("out of range"), std::string::npos) << what;
  EXPECT_NE(error_of([&] { t.decode({-1}); }).find("id -1"), std::string::npos);
  EXPECT_EQ(t.decode({static_cast<int32_t>(t.vocab_size()) - 1}), "<|pad|>");
  const std::string missing = error_of([&] { t.special_id("<|eos|>"); });
  EXPECT_NE(missing.find("'<|eos|>'"), std::string::npos) << missing;
}

TEST(BpeEncode, ConcurrentEncodesAgree) {
  const auto lines = shipped_lines();
  const auto t = BpeTokenizer::train(lines, 1000, {});
  std::vector<Ids> expected;
  {
    const auto fresh = BpeTokenizer::from_text(t.to_text());  // its own cache
    for (const auto& l : lines) expected.push_back(fresh.encode(l));
  }
  std::vector<std::vector<Ids>> got(2);
  std::vector<std::thread> threads;
  for (int k = 0; k < 2; ++k)
    threads.emplace_back([&, k] {
      for (int rep = 0; rep < 20; ++rep)
        for (size_t i = 0; i < lines.size(); ++i) {
          const size_t j = k ? lines.size() - 1 - i : i;
          auto ids = t.encode(lines[j]);
          if (rep == 0) got[static_cast<size_t>(k)].push_back(std::move(ids));
          else if (ids != expected[j]) got[static_cast<size_t>(k)].clear();  // shows as a size mismatch
        }
    });
  for (auto& th : threads) th.join();
  ASSERT_EQ(got[0].size(), lines.size());
  ASSERT_EQ(got[1].size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(got[0][i], expected[i]);
    EXPECT_EQ(got[1][lines.size() - 1 - i], expected[i]);
  }
}

// ---- serialization ---------------------------------------------------------------------------------------------

TEST(BpeSerialize, TextRoundTrip) {
  // Tokens with bytes that need escaping: backslash, space, NUL, newline, non-ASCII, 0xff.
  Strings texts = random_byte_strings(3, 500, 40);
  for (int i = 0; i < 50; ++i) texts.push_back("\\x41 \\\\ caf\xc3\xa9 \xff\xff \t\t");
  const auto t = BpeTokenizer::train(texts, 900, {"<|end|>", "with space", "\\x20"});
  const std::string text = t.to_text();
  for (const char c : text)  // printable ASCII and newlines only
    ASSERT_TRUE(c == '\n' || (c >= 0x20 && c <= 0x7e)) << static_cast<int>(static_cast<unsigned char>(c));
  EXPECT_EQ(text.rfind("jepa-bpe v1\n", 0), 0u);
  EXPECT_NE(text.find("special with\\x20space\n"), std::string::npos);
  EXPECT_NE(text.find("special \\x5cx20\n"), std::string::npos);
  const auto u = BpeTokenizer::from_text(text);
  EXPECT_EQ(u.to_text(), text);
  EXPECT_EQ(u.sha256(), t.sha256());
  EXPECT_EQ(u.vocab_size(), t.vocab_size());
  EXPECT_EQ(u.merges(), t.merges());
  EXPECT_EQ(u.special_id("with space"), t.special_id("with space"));
  for (int32_t id = 0; id < t.vocab_size(); ++id) ASSERT_EQ(u.token_bytes(id), t.token_bytes(id));
  for (const auto& s : random_byte_strings(4, 500, 100)) ASSERT_EQ(u.encode(s), t.encode(s));
  // Hash: lowercase hex SHA-256 (of the bytes-only tokenizer's text, checked with `sha256sum`).
  const BpeTokenizer bytes;
  EXPECT_EQ(bytes.to_text(), "jepa-bpe v1\nvocab_size 256\nspecials 0\nmerges 0\nend\n");
  EXPECT_EQ(bytes.sha256(), "4e79e747d7ea15a1f1df39d0baca2b1d63d428698dddf43ee4f1f251c5922b41");
}

TEST(BpeSerialize, RejectsCorruptInput) {
  const std::string good = "jepa-bpe v1\nvocab_size 260\nspecials 1\nspecial <|end|>\nmerges 3\n"
                           "a b\n\\x20 c\nab \\x20c\nend\n";
  ASSERT_EQ(BpeTokenizer::from_text(good).to_text(), good);
  ASSERT_EQ(BpeTokenizer::from_text(good).token_bytes(258), "ab c");
  const auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "line 1: input ends, expected the header"},
      {"hello\n", "line 1: not a jepa BPE tokenizer"},
      {replace("v1", "v2"), "line 1: unsupported version 'jepa-bpe v2'"},
      {good.substr(0, good.size() - 1), "line 9: missing final newline"},
      {good.substr(0, good.size() - 4), "line 9: input ends, expected 'end'"},
      {good + "x\n", "line 10: unexpected data after 'end'"},
      {replace("vocab_size 260", "vocab_size 261"), "header says vocab_size 261 but"},
      {replace("vocab_size 260", "vocab_size -1"), "line 2: bad number"},
      {replace("vocab_size 260", "vocab_size 0260"), "line 2: bad number"},
      {replace("vocab_size 260", "vocab_size x"), "line 2: bad number"},
      {replace("vocab_size 260", "vocab 260"), "line 2: expected 'vocab_size N'"},
      {replace("specials 1", "specials 2"), "line 5: expected 'special NAME'"},
      {replace("merges 3", "merges 4"), "line 9: expected a merge"},
      {replace("merges 3", "merges 2"), "line 8: expected 'end'"},
      {replace("merges 3", "merges 99999999999"), "line 5: bad number"},
      {replace("ab \\x20c", "ab \\x20d"), "line 8: merge uses token '\\x20d' before it exists"},
      {replace("ab \\x20c", "a b"), "line 8: merge 'a b' given twice"},
      {replace("ab \\x20c", "ab  c"), "line 8: expected a merge"},
      {replace("ab \\x20c", "ab \\x2"), "line 8: truncated"},
      {replace("ab \\x20c", "ab \\x2Gc"), "line 8: bad \\x escape"},
      {replace("ab \\x20c", "ab \\X20c"), "line 8: bad escape"},
      {replace("ab \\x20c", "ab \\x2Fc"), "line 8: bad \\x escape"},  // upper-case hex is not canonical
      {replace("ab \\x20c", "ab \\x63"), "line 8: non-canonical escape"},
      {replace("ab \\x20c", "ab \tc"), "line 8: unescaped non-printable byte 9"},
      {replace("ab \\x20c", "ab \xc3\xa9"), "line 8: unescaped non-printable byte 195"},
      {replace("a b\n", "a b\r\n"), "line 6: unescaped non-printable byte 13"},
      {replace("special <|end|>", "special <|end|> x"), "line 4: expected 'special NAME'"},
      {replace("<|end|>\n", "\n"), "line 4: empty token"},
      {replace("specials 1\nspecial <|end|>\n", "specials 2\nspecial <|end|>\nspecial <|end|>\n"),
       "line 5: special token '<|end|>' given twice"},
  };
  for (const auto& [text, expect] : cases) {
    const std::string what = error_of([&] { BpeTokenizer::from_text(text); });
    EXPECT_NE(what.find(expect), std::string::npos) << "expected '" << expect << "', got '" << what << "'";
    EXPECT_EQ(what.rfind("bpe: ", 0), 0u) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}
