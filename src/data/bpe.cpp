#include "data/bpe.hpp"

#include "data/tokenizer.hpp"  // sha256_hex

#include <algorithm>
#include <charconv>
#include <memory>
#include <mutex>
#include <queue>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <utility>


namespace jepa::data {

namespace {

constexpr int32_t kBytes = 256;
constexpr const char* kMagic = "jepa-bpe v1";
// Chunks longer than this are encoded without the cache (rare; keeps the cache's memory bounded).
constexpr size_t kMaxCachedChunk = 128;
// The cache is emptied when it reaches this many chunks.
constexpr size_t kMaxCacheEntries = 1 << 17;

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}
int32_t key_left(uint64_t key) { return static_cast<int32_t>(key >> 32); }
int32_t key_right(uint64_t key) { return static_cast<int32_t>(key & 0xFFFFFFFFu); }

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("bpe: " + what); }
[[noreturn]] void fail_line(size_t line, const std::string& what) {
  throw std::runtime_error("bpe: line " + std::to_string(line) + ": " + what);
}

bool printable(unsigned char c) { return c >= 0x21 && c <= 0x7E && c != '\\'; }

const char* kHex = "0123456789abcdef";

std::string escape(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (printable(c)) {
      out.push_back(ch);
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

// For error messages: escape() but spaces kept, at most 40 bytes.
std::string excerpt(std::string_view bytes) {
  std::string out;
  for (const char ch : bytes.substr(0, 40)) out += ch == ' ' ? std::string(" ") : escape(std::string_view(&ch, 1));
  return bytes.size() > 40 ? out + "..." : out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case is not canonical
}

// Inverse of escape(), accepting only its canonical output (so from_text(s).to_text() == s).
std::string unescape(std::string_view field, size_t line) {
  if (field.empty()) fail_line(line, "empty token");
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    const auto c = static_cast<unsigned char>(field[i]);
    if (c == '\\') {
      if (i + 3 >= field.size()) fail_line(line, "truncated \\x escape");
      if (field[i + 1] != 'x') fail_line(line, "bad escape (only \\xHH is allowed)");
      const int hi = hex_digit(field[i + 2]), lo = hex_digit(field[i + 3]);
      if (hi < 0 || lo < 0) fail_line(line, "bad \\x escape (two lowercase hex digits expected)");
      const auto b = static_cast<unsigned char>(hi * 16 + lo);
      if (printable(b)) fail_line(line, "non-canonical escape of a printable byte");
      out.push_back(static_cast<char>(b));
      i += 3;
    } else if (printable(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      fail_line(line, "unescaped non-printable byte " + std::to_string(c));
    }
  }
  return out;
}

// A non-negative decimal without sign or leading zeros, at most `max`.
int64_t parse_count(std::string_view s, size_t line, int64_t max) {
  int64_t v = -1;
  const bool canonical = !s.empty() && (s.size() == 1 || s[0] != '0');
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (!canonical || ec != std::errc() || p != s.data() + s.size() || v < 0 || v > max)
    fail_line(line, "bad number '" + excerpt(s) + "'");
  return v;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t sp = line.find(' ', start);
    out.push_back(line.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start));
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return out;
}

// Calls f(chunk) for each chunk of `text` (see bpe.hpp: cut before every space).
template <class F>
void for_each_chunk(std::string_view text, F&& f) {
  size_t start = 0;
  for (size_t i = 1; i < text.size(); ++i) {
    if (text[i] == ' ') {
      f(text.substr(start, i - start));
      start = i;
    }
  }
  if (!text.empty()) f(text.substr(start));
}

}  // namespace

struct BpeTokenizer::Cache {
  std::shared_mutex mu;
  std::unordered_map<std::string, std::vector<int32_t>> map;
};

BpeTokenizer::BpeTokenizer() : cache_(std::make_shared<Cache>()) {
  tokens_.reserve(kBytes);
  for (int32_t b = 0; b < kBytes; ++b) {
    tokens_.emplace_back(1, static_cast<char>(b));
    token_ids_.emplace(tokens_.back(), b);
  }
}

std::vector<std::string_view> BpeTokenizer::chunks(std::string_view text) {
  std::vector<std::string_view> out;
  for_each_chunk(text, [&](std::string_view c) { out.push_back(c); });
  return out;
}

int32_t BpeTokenizer::add_merge(int32_t left, int32_t right) {
  std::string bytes = tokens_[static_cast<size_t>(left)] + tokens_[static_cast<size_t>(right)];
  int32_t id;
  if (const auto it = token_ids_.find(bytes); it != token_ids_.end()) {
    id = it->second;  // a second merge route to an existing token
  } else {
    id = static_cast<int32_t>(tokens_.size());
    token_ids_.emplace(bytes, id);
    tokens_.push_back(std::move(bytes));
  }
  merge_rules_.emplace(pair_key(left, right), MergeRule{static_cast<int32_t>(merges_.size()), id});
  merges_.emplace_back(left, right);
  return id;
}

void BpeTokenizer::add_special(const std::string& name) {
  if (name.empty()) fail("empty special token name");
  const auto id = static_cast<int32_t>(tokens_.size() + specials_.size());
  if (!special_ids_.emplace(name, id).second) fail("special token '" + excerpt(name) + "' given twice");
  specials_.push_back(name);
}

// ---- training --------------------------------------------------------------------------------------------------

BpeTokenizer BpeTokenizer::train(const std::vector<std::string>& texts, int64_t vocab_size,
                                 const std::vector<std::string>& specials) {
  const auto n_special = static_cast<int64_t>(specials.size());
  if (vocab_size < kBytes + n_special)
    fail("vocab_size " + std::to_string(vocab_size) + " is below 256 bytes + " + std::to_string(n_special) +
         " special tokens");
  if (vocab_size > (int64_t{1} << 30)) fail("vocab_size " + std::to_string(vocab_size) + " is too large");
  {  // validate specials before the (possibly long) training
    BpeTokenizer probe;
    for (const auto& s : specials) probe.add_special(s);
  }
  BpeTokenizer t;
  const int64_t target_tokens = vocab_size - n_special;

  // Distinct chunks of >= 2 bytes with their frequencies (single bytes have no pairs).
  std::unordered_map<std::string_view, int64_t> freq;
  for (const auto& text : texts)
    for_each_chunk(text, [&](std::string_view c) {
      if (c.size() >= 2) ++freq[c];
    });
  std::vector<std::vector<int32_t>> words;
  std::vector<int64_t> word_freq;
  words.reserve(freq.size());
  word_freq.reserve(freq.size());
  for (const auto& [chunk, f] : freq) {
    std::vector<int32_t> sym(chunk.size());
    for (size_t i = 0; i < chunk.size(); ++i) sym[i] = static_cast<unsigned char>(chunk[i]);
    words.push_back(std::move(sym));
    word_freq.push_back(f);
  }
  freq.clear();

  // Pair counts (weighted by chunk frequency) and, per pair, the words that may contain it (a superset:
  // entries go stale when a merge removes the pair from a word; duplicates are allowed).
  std::unordered_map<uint64_t, int64_t> count;
  std::unordered_map<uint64_t, std::vector<uint32_t>> where;
  for (size_t w = 0; w < words.size(); ++w) {
    const auto& sym = words[w];
    for (size_t i = 0; i + 1 < sym.size(); ++i) {
      const uint64_t k = pair_key(sym[i], sym[i + 1]);
      count[k] += word_freq[w];
      auto& list = where[k];
      if (list.empty() || list.back() != w) list.push_back(static_cast<uint32_t>(w));
    }
  }

  // Max-heap of (count, pair), smaller pair first among equal counts. Lazy: an entry whose count is no longer
  // current is re-queued with the current count when popped (counts only grow for pairs with the newly merged
  // id, which are pushed after each merge).
  struct Entry {
    int64_t count;
    uint64_t key;
  };
  const auto lower = [](const Entry& a, const Entry& b) {
    return a.count != b.count ? a.count < b.count : a.key > b.key;
  };
  std::vector<Entry> heap_storage;
  heap_storage.reserve(count.size());
  for (const auto& [k, c] : count) heap_storage.push_back({c, k});
  std::priority_queue<Entry, std::vector<Entry>, decltype(lower)> heap(lower, std::move(heap_storage));

  std::vector<uint64_t> touched;
  while (t.num_tokens() < target_tokens && !heap.empty()) {
    const Entry top = heap.top();
    heap.pop();
    const auto cit = count.find(top.key);
    const int64_t current = cit == count.end() ? 0 : cit->second;
    if (current != top.count) {
      if (current > 0) heap.push({current, top.key});
      continue;
    }
    if (current <= 0) continue;
    const int32_t left = key_left(top.key), right = key_right(top.key);
    const auto rule = t.merge_rules_.find(top.key);
    const int32_t merged = rule != t.merge_rules_.end() ? rule->second.id : t.add_merge(left, right);

    std::vector<uint32_t> ws = std::move(where[top.key]);
    where.erase(top.key);
    std::sort(ws.begin(), ws.end());
    ws.erase(std::unique(ws.begin(), ws.end()), ws.end());
    touched.clear();
    // Merge left to right in each word, updating only the pairs around each occurrence (HF's Word::merge):
    // (prev, left) -> (prev, merged) and (right, next) -> (merged, next). Changes to the merged pair itself are
    // dropped below (its count ends at 0). For "L R L R", the second occurrence's prev is the first's result, so
    // (merged, L), added by the first, is taken back and (merged, merged) added.
    const auto add = [&](uint64_t k, int64_t delta, uint32_t w) {
      count[k] += delta;
      if (delta > 0) {
        auto& list = where[k];
        if (list.empty() || list.back() != w) list.push_back(w);
        touched.push_back(k);
      }
    };
    for (const uint32_t w : ws) {
      auto& sym = words[w];
      const size_t n = sym.size();
      size_t i = 0;
      while (i + 1 < n && !(sym[i] == left && sym[i + 1] == right)) ++i;
      if (i + 1 >= n) continue;  // stale entry
      const int64_t f = word_freq[w];
      size_t j = i;
      while (i < n) {
        if (i + 1 < n && sym[i] == left && sym[i + 1] == right) {
          if (j > 0) {
            add(pair_key(sym[j - 1], left), -f, w);
            add(pair_key(sym[j - 1], merged), f, w);
          }
          if (i + 2 < n) {
            add(pair_key(right, sym[i + 2]), -f, w);
            add(pair_key(merged, sym[i + 2]), f, w);
          }
          sym[j++] = merged;
          i += 2;
        } else {
          sym[j++] = sym[i++];
        }
      }
      sym.resize(j);
    }
    count.erase(top.key);  // every occurrence was merged
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (const uint64_t k : touched)
      if (const int64_t c = count[k]; c > 0) heap.push({c, k});
  }

  for (const auto& s : specials) t.add_special(s);
  return t;
}

// ---- encoding --------------------------------------------------------------------------------------------------

void BpeTokenizer::encode_chunk(std::string_view chunk, std::vector<int32_t>& out) const {
  // Doubly linked symbols, and a min-heap of (rank, position of the pair's left symbol): lowest rank first,
  // leftmost among equal ranks. Scratch space is per thread (encode runs on several threads).
  using Entry = std::pair<int32_t, int32_t>;
  thread_local std::vector<int32_t> sym, prev, next;
  thread_local std::vector<Entry> heap;
  const auto n = static_cast<int32_t>(chunk.size());
  sym.resize(static_cast<size_t>(n));
  prev.resize(static_cast<size_t>(n));
  next.resize(static_cast<size_t>(n));
  heap.clear();
  for (int32_t i = 0; i < n; ++i) {
    sym[i] = static_cast<unsigned char>(chunk[static_cast<size_t>(i)]);
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  const auto push = [&](int32_t pos) {
    const int32_t nx = next[pos];
    if (nx < 0) return;
    const auto it = merge_rules_.find(pair_key(sym[pos], sym[nx]));
    if (it == merge_rules_.end()) return;
    heap.emplace_back(it->second.rank, pos);
    std::push_heap(heap.begin(), heap.end(), std::greater<Entry>());
  };
  for (int32_t i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<Entry>());
    const auto [rank, pos] = heap.back();
    heap.pop_back();
    if (sym[pos] < 0) continue;  // merged into its left neighbour
    const int32_t nx = next[pos];
    if (nx < 0) continue;
    const auto it = merge_rules_.find(pair_key(sym[pos], sym[nx]));
    if (it == merge_rules_.end() || it->second.rank != rank) continue;  // stale entry: the pair changed
    sym[pos] = it->second.id;
    sym[nx] = -1;
    next[pos] = next[nx];
    if (next[pos] >= 0) prev[next[pos]] = pos;
    if (prev[pos] >= 0) push(prev[pos]);
    push(pos);
  }
  for (int32_t i = 0; i >= 0; i = next[i]) out.push_back(sym[i]);
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  std::string key;
  for_each_chunk(text, [&](std::string_view chunk) {
    if (chunk.size() == 1) {
      ids.push_back(static_cast<unsigned char>(chunk[0]));
      return;
    }
    if (chunk.size() > kMaxCachedChunk || merges_.empty()) {
      encode_chunk(chunk, ids);
      return;
    }
    key.assign(chunk.data(), chunk.size());
    {
      std::shared_lock<std::shared_mutex> lock(cache_->mu);
      if (const auto it = cache_->map.find(key); it != cache_->map.end()) {
        ids.insert(ids.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    const size_t start = ids.size();
    encode_chunk(chunk, ids);
    std::vector<int32_t> value(ids.begin() + static_cast<std::ptrdiff_t>(start), ids.end());
    std::unique_lock<std::shared_mutex> lock(cache_->mu);
    if (cache_->map.size() >= kMaxCacheEntries) cache_->map.clear();
    cache_->map.emplace(std::move(key), std::move(value));
  });
  return ids;
}

// ---- decoding, lookups -------------------------------------------------------------------------------------------

const std::string& BpeTokenizer::token_bytes(int32_t id) const {
  if (id < 0 || id >= vocab_size())
    throw std::runtime_error("bpe: id " + std::to_string(id) + " out of range [0, " +
                             std::to_string(vocab_size()) + ")");
  const auto i = static_cast<size_t>(id);
  return i < tokens_.size() ? tokens_[i] : specials_[i - tokens_.size()];
}

std::string BpeTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (const int32_t id : ids) out += token_bytes(id);
  return out;
}

std::string BpeTokenizer::decode_until(const std::vector<int32_t>& ids, int32_t stop) const {
  const auto end = std::find(ids.begin(), ids.end(), stop);
  return decode(std::vector<int32_t>(ids.begin(), end));
}

int32_t BpeTokenizer::special_id(const std::string& name) const {
  const auto it = special_ids_.find(name);
  if (it == special_ids_.end()) fail("no special token '" + excerpt(name) + "'");
  return it->second;
}

// ---- serialization ---------------------------------------------------------------------------------------------

std::string BpeTokenizer::to_text() const {
  std::string out = std::string(kMagic) + "\n";
  out += "vocab_size " + std::to_string(vocab_size()) + "\n";
  out += "specials " + std::to_string(specials_.size()) + "\n";
  for (const auto& s : specials_) out += "special " + escape(s) + "\n";
  out += "merges " + std::to_string(merges_.size()) + "\n";
  for (const auto& [l, r] : merges_) {
    out += escape(tokens_[static_cast<size_t>(l)]);
    out += ' ';
    out += escape(tokens_[static_cast<size_t>(r)]);
    out += '\n';
  }
  out += "end\n";
  return out;
}

BpeTokenizer BpeTokenizer::from_text(const std::string& serialized) {
  const std::string_view text(serialized);
  size_t pos = 0, line_no = 0;
  // The next '\n'-terminated line (without its '\n').
  const auto next_line = [&](const char* expecting) -> std::string_view {
    ++line_no;
    if (pos >= text.size()) fail_line(line_no, std::string("input ends, expected ") + expecting);
    const size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) fail_line(line_no, "missing final newline");
    const auto line = text.substr(pos, nl - pos);
    pos = nl + 1;
    return line;
  };
  // "KEY VALUE" with a count VALUE.
  const auto keyed_count = [&](const char* key, int64_t max) {
    const auto line = next_line(key);
    const auto f = split_spaces(line);
    if (f.size() != 2 || f[0] != key) fail_line(line_no, std::string("expected '") + key + " N'");
    return parse_count(f[1], line_no, max);
  };

  const auto magic = next_line("the header");
  if (magic != kMagic) {
    if (magic.substr(0, 10) == "jepa-bpe v")
      fail_line(line_no, "unsupported version '" + excerpt(magic) + "' (this build reads v1)");
    fail_line(line_no, "not a jepa BPE tokenizer (expected header 'jepa-bpe v1')");
  }
  const int64_t vocab = keyed_count("vocab_size", int64_t{1} << 30);
  const int64_t n_special = keyed_count("specials", vocab);
  BpeTokenizer t;
  std::vector<std::string> specials;
  for (int64_t i = 0; i < n_special; ++i) {
    const auto f = split_spaces(next_line("a special"));
    if (f.size() != 2 || f[0] != "special") fail_line(line_no, "expected 'special NAME'");
    specials.push_back(unescape(f[1], line_no));
    if (std::find(specials.begin(), specials.end() - 1, specials.back()) != specials.end() - 1)
      fail_line(line_no, "special token '" + std::string(f[1]) + "' given twice");
  }
  const int64_t n_merges = keyed_count("merges", int64_t{1} << 30);
  for (int64_t i = 0; i < n_merges; ++i) {
    const auto f = split_spaces(next_line("a merge"));
    if (f.size() != 2) fail_line(line_no, "expected a merge 'LEFT RIGHT'");
    int32_t ids[2];
    for (int s = 0; s < 2; ++s) {
      const auto it = t.token_ids_.find(unescape(f[s], line_no));
      if (it == t.token_ids_.end())
        fail_line(line_no, "merge uses token '" + std::string(f[s]) + "' before it exists");
      ids[s] = it->second;
    }
    if (t.merge_rules_.count(pair_key(ids[0], ids[1])))
      fail_line(line_no, "merge '" + std::string(f[0]) + " " + std::string(f[1]) + "' given twice");
    t.add_merge(ids[0], ids[1]);
  }
  if (next_line("'end'") != "end") fail_line(line_no, "expected 'end'");
  if (pos != text.size()) fail_line(line_no + 1, "unexpected data after 'end'");
  for (const auto& s : specials) t.add_special(s);
  if (t.vocab_size() != vocab)
    fail("header says vocab_size " + std::to_string(vocab) + " but the merges and specials give " +
         std::to_string(t.vocab_size()));
  return t;
}

std::string BpeTokenizer::sha256() const { return sha256_hex(to_text()); }

}  // namespace jepa::data
