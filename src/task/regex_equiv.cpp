#include "task/regex_equiv.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <numeric>
#include <set>
#include <unordered_map>
#include <vector>

namespace jepa::task {

namespace {

// Expanding counted repeats multiplies sizes: bound the expansion before building anything (it also bounds the
// recursion depth of the derivative, which follows chains of nullable terms).
constexpr size_t kMaxExpandedSize = 20000;

size_t expanded_size(const Node& n) {
  size_t s = 1;
  switch (n.kind) {
    case Node::Kind::kClass: return 1;
    case Node::Kind::kWord: return n.word.size();
    case Node::Kind::kRepeat: {
      const size_t copies = static_cast<size_t>(std::max({n.min, n.max, 1}));
      return std::min(kMaxExpandedSize + 1, expanded_size(*n.kids[0]) * copies + 1);
    }
    default:
      for (const auto& k : n.kids) s += expanded_size(*k);
      return std::min(kMaxExpandedSize + 1, s);
  }
}

void collect_literals(const Node& n, std::set<unsigned char>& out) {
  if (n.kind == Node::Kind::kWord)
    for (char c : n.word) out.insert(static_cast<unsigned char>(c));
  for (const auto& k : n.kids) collect_literals(*k, out);
}

struct Bits {
  uint64_t lo = 0, hi = 0;
  bool has(unsigned char c) const { return c < 64 ? (lo >> c) & 1 : c < 128 ? (hi >> (c - 64)) & 1 : false; }
  void set(unsigned char c) {
    if (c < 64) lo |= uint64_t{1} << c;
    else if (c < 128) hi |= uint64_t{1} << (c - 64);
  }
  bool empty() const { return lo == 0 && hi == 0; }
};

// The groups of characters that no class splits (the rest of printable ASCII is one more group).
constexpr std::string_view kGroups[] = {"AEIOU", "BCDFGHJKLMNPQRSTVWXYZ", "aeiou", "bcdfghjklmnpqrstvwxyz",
                                        "0123456789"};

// One character per cell: the literals (sorted), then the first non-literal of each group that has one, then '#'
// for everything else (literals are alphanumeric, so '#' never is one).
std::vector<char> representatives(const std::set<unsigned char>& literals) {
  std::vector<char> reps;
  for (unsigned char c : literals) reps.push_back(static_cast<char>(c));
  for (std::string_view group : kGroups)
    for (char ch : group)
      if (!literals.count(static_cast<unsigned char>(ch))) {
        reps.push_back(ch);
        break;
      }
  reps.push_back('#');
  return reps;
}

// Hash-consed extended regular expressions over printable ASCII, with memoised derivatives by cell.
class Terms {
 public:
  enum Kind : uint8_t { kEmpty, kEps, kSet, kCat, kOr, kAnd, kNot, kStar };

  Terms(const std::set<unsigned char>& literals, size_t max_terms) : max_terms_(max_terms) {
    cell_of_.fill(-1);
    reps_ = representatives(literals);
    for (size_t i = 0; i < reps_.size(); ++i) cell_of_[static_cast<unsigned char>(reps_[i])] = static_cast<int>(i);
    // The other members of a group share their representative's cell.
    for (std::string_view group : kGroups) {
      int cell = -1;
      for (char ch : group)
        if (!literals.count(static_cast<unsigned char>(ch)) && cell < 0) cell = cell_of_[static_cast<unsigned char>(ch)];
      for (char ch : group)
        if (!literals.count(static_cast<unsigned char>(ch))) cell_of_[static_cast<unsigned char>(ch)] = cell;
    }
    const int other = static_cast<int>(reps_.size()) - 1;  // '#', the last
    for (int c = 32; c <= 126; ++c)
      if (cell_of_[c] < 0) cell_of_[c] = other;

    empty_ = make(kEmpty, {}, {});
    eps_ = make(kEps, {}, {});
    Bits all;
    for (int c = 32; c <= 126; ++c) all.set(static_cast<unsigned char>(c));
    any_ = make(kSet, all, {});
    top_ = make(kStar, {}, {any_});
  }

  size_t cells() const { return reps_.size(); }
  char rep(size_t cell) const { return reps_[cell]; }
  int cell_of(unsigned char c) const { return cell_of_[c]; }
  bool nullable(int t) const { return terms_[t].nullable; }

  int from_ast(const Node& n) {
    switch (n.kind) {
      case Node::Kind::kClass: {
        Bits b;
        for (int c = 32; c <= 126; ++c)
          if (class_contains(n.cls, static_cast<unsigned char>(c))) b.set(static_cast<unsigned char>(c));
        return set(b);
      }
      case Node::Kind::kWord: {
        int t = eps_;
        for (auto it = n.word.rbegin(); it != n.word.rend(); ++it) {
          Bits b;
          b.set(static_cast<unsigned char>(*it));
          t = cat(set(b), t);
        }
        return t;
      }
      case Node::Kind::kConcat: {
        int t = eps_;
        for (auto it = n.kids.rbegin(); it != n.kids.rend(); ++it) t = cat(from_ast(**it), t);
        return t;
      }
      case Node::Kind::kOr:
      case Node::Kind::kAnd: {
        std::vector<int> ks;
        for (const auto& k : n.kids) ks.push_back(from_ast(*k));
        return n.kind == Node::Kind::kOr ? or_(std::move(ks)) : and_(std::move(ks));
      }
      case Node::Kind::kNot: return not_(from_ast(*n.kids[0]));
      case Node::Kind::kRepeat: {
        const int x = from_ast(*n.kids[0]);
        // x{n,m} = x^n (eps | x (eps | x ...)) with m-n nested options; x{n,} = x^n x*.
        int tail = eps_;
        if (n.max == kUnbounded) {
          tail = star(x);
        } else {
          for (int i = n.min; i < n.max; ++i) tail = or_({eps_, cat(x, tail)});
        }
        for (int i = 0; i < n.min; ++i) tail = cat(x, tail);
        return tail;
      }
    }
    return empty_;
  }

  int deriv(int t, size_t cell) {
    const size_t slot = static_cast<size_t>(t) * reps_.size() + cell;
    if (memo_[slot] >= 0) return memo_[slot];
    const Kind kind = terms_[t].kind;
    const int k0 = terms_[t].kids.empty() ? -1 : terms_[t].kids[0];
    int d = empty_;
    switch (kind) {
      case kEmpty:
      case kEps: d = empty_; break;
      case kSet: d = terms_[t].bits.has(static_cast<unsigned char>(reps_[cell])) ? eps_ : empty_; break;
      case kCat: {
        const int s = terms_[t].kids[1];
        d = cat(deriv(k0, cell), s);
        if (terms_[k0].nullable) {
          const int ds = deriv(s, cell);
          if (ds != empty_) d = or_({d, ds});
        }
        break;
      }
      case kStar: d = cat(deriv(k0, cell), t); break;
      case kOr:
      case kAnd: {
        const std::vector<int> kids = terms_[t].kids;  // a copy: building terms below may reallocate terms_
        std::vector<int> ds;
        ds.reserve(kids.size());
        for (int k : kids) ds.push_back(deriv(k, cell));
        d = kind == kOr ? or_(std::move(ds)) : and_(std::move(ds));
        break;
      }
      case kNot: d = not_(deriv(k0, cell)); break;
    }
    memo_[slot] = d;
    return d;
  }

 private:
  struct Term {
    Kind kind;
    Bits bits;
    std::vector<int> kids;
    bool nullable;
  };
  struct Key {
    Kind kind;
    Bits bits;
    std::vector<int> kids;
    bool operator==(const Key& o) const {
      return kind == o.kind && bits.lo == o.bits.lo && bits.hi == o.bits.hi && kids == o.kids;
    }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      uint64_t h = k.kind * 0x9e3779b97f4a7c15ULL ^ k.bits.lo ^ (k.bits.hi * 0xbf58476d1ce4e5b9ULL);
      for (int x : k.kids) h = (h ^ static_cast<uint64_t>(x)) * 0x100000001b3ULL + (h >> 29);
      return static_cast<size_t>(h);
    }
  };

  int make(Kind kind, Bits bits, std::vector<int> kids) {
    Key key{kind, bits, std::move(kids)};
    auto it = index_.find(key);
    if (it != index_.end()) return it->second;
    if (terms_.size() >= max_terms_ || terms_.size() >= (size_t{1} << 29))
      throw EquivalenceLimit("regex equivalence: more than " + std::to_string(max_terms_) + " terms");
    bool nullable = false;
    switch (kind) {
      case kEmpty: nullable = false; break;
      case kEps: nullable = true; break;
      case kSet: nullable = false; break;
      case kCat: nullable = terms_[key.kids[0]].nullable && terms_[key.kids[1]].nullable; break;
      case kOr:
        nullable = std::any_of(key.kids.begin(), key.kids.end(), [&](int k) { return terms_[k].nullable; });
        break;
      case kAnd:
        nullable = std::all_of(key.kids.begin(), key.kids.end(), [&](int k) { return terms_[k].nullable; });
        break;
      case kNot: nullable = !terms_[key.kids[0]].nullable; break;
      case kStar: nullable = true; break;
    }
    const int id = static_cast<int>(terms_.size());
    terms_.push_back(Term{kind, bits, key.kids, nullable});
    memo_.resize(terms_.size() * reps_.size(), -1);
    index_.emplace(std::move(key), id);
    return id;
  }

  // Cat, Not and Star: looked up by one integer key, so that the hot path (derivatives of concatenations and
  // stars) allocates nothing when the term exists.
  int make_small(Kind kind, int a, int b) {
    const uint64_t key = (static_cast<uint64_t>(kind) << 60) | (static_cast<uint64_t>(a) << 30) | static_cast<uint64_t>(b + 1);
    auto it = small_.find(key);
    if (it != small_.end()) return it->second;
    const int id = make(kind, {}, b < 0 ? std::vector<int>{a} : std::vector<int>{a, b});
    small_.emplace(key, id);
    return id;
  }

  int set(Bits b) { return b.empty() ? empty_ : make(kSet, b, {}); }

  int cat(int a, int b) {
    if (a == empty_ || b == empty_) return empty_;
    if (a == eps_) return b;
    if (b == eps_) return a;
    if (terms_[a].kind == kCat) {
      const int a0 = terms_[a].kids[0], a1 = terms_[a].kids[1];
      return cat(a0, cat(a1, b));
    }
    if (a == top_ && b == top_) return top_;
    return make_small(kCat, a, b);
  }

  // | and & up to associativity, commutativity and idempotence: what keeps the derivatives finite.
  int or_(std::vector<int> ks) {
    std::vector<int> flat;
    flat.reserve(ks.size() + 4);
    for (int k : ks) {
      if (k == top_) return top_;
      if (k == empty_) continue;
      if (terms_[k].kind == kOr) flat.insert(flat.end(), terms_[k].kids.begin(), terms_[k].kids.end());
      else flat.push_back(k);
    }
    std::sort(flat.begin(), flat.end());
    flat.erase(std::unique(flat.begin(), flat.end()), flat.end());
    if (flat.empty()) return empty_;
    if (flat.size() == 1) return flat[0];
    return make(kOr, {}, std::move(flat));
  }

  int and_(std::vector<int> ks) {
    std::vector<int> flat;
    flat.reserve(ks.size() + 4);
    for (int k : ks) {
      if (k == empty_) return empty_;
      if (k == top_) continue;
      if (terms_[k].kind == kAnd) flat.insert(flat.end(), terms_[k].kids.begin(), terms_[k].kids.end());
      else flat.push_back(k);
    }
    std::sort(flat.begin(), flat.end());
    flat.erase(std::unique(flat.begin(), flat.end()), flat.end());
    if (flat.empty()) return top_;
    if (flat.size() == 1) return flat[0];
    return make(kAnd, {}, std::move(flat));
  }

  int not_(int a) {
    if (terms_[a].kind == kNot) return terms_[a].kids[0];
    if (a == empty_) return top_;
    if (a == top_) return empty_;
    return make_small(kNot, a, -1);
  }

  int star(int a) {
    if (a == empty_ || a == eps_) return eps_;
    if (terms_[a].kind == kStar) return a;
    return make_small(kStar, a, -1);
  }

  size_t max_terms_;
  std::vector<char> reps_;
  std::array<int, 256> cell_of_{};
  std::vector<Term> terms_;
  std::unordered_map<Key, int, KeyHash> index_;
  std::unordered_map<uint64_t, int> small_;
  std::vector<int> memo_;
  int empty_ = 0, eps_ = 0, any_ = 0, top_ = 0;
};

void check_size(const Node& n) {
  if (expanded_size(n) > kMaxExpandedSize)
    throw EquivalenceLimit("regex equivalence: regex expands to more than " + std::to_string(kMaxExpandedSize) +
                           " terms (nested counted repeats)");
}

}  // namespace

std::optional<std::string> counterexample(const Node& a, const Node& b, const EquivalenceOptions& opt) {
  check_size(a);
  check_size(b);
  std::set<unsigned char> literals;
  collect_literals(a, literals);
  collect_literals(b, literals);
  Terms terms(literals, opt.max_terms);
  const int ta = terms.from_ast(a), tb = terms.from_ast(b);
  if (ta == tb) return std::nullopt;

  // Breadth-first over pairs of derivatives by the same word; a pair of identical terms needs no exploring.
  struct Visit {
    int a, b, parent;
    char via;
  };
  std::vector<Visit> queue{{ta, tb, -1, 0}};
  std::unordered_map<uint64_t, int> seen{{(static_cast<uint64_t>(ta) << 32) | static_cast<uint32_t>(tb), 0}};
  for (size_t i = 0; i < queue.size(); ++i) {
    const Visit v = queue[i];
    if (terms.nullable(v.a) != terms.nullable(v.b)) {
      std::string w;
      for (int j = static_cast<int>(i); queue[j].parent >= 0; j = queue[j].parent) w += queue[j].via;
      std::reverse(w.begin(), w.end());
      return w;
    }
    for (size_t c = 0; c < terms.cells(); ++c) {
      const int da = terms.deriv(v.a, c), db = terms.deriv(v.b, c);
      if (da == db) continue;
      const uint64_t key = (static_cast<uint64_t>(da) << 32) | static_cast<uint32_t>(db);
      if (seen.emplace(key, static_cast<int>(queue.size())).second) {
        if (queue.size() >= opt.max_pairs)
          throw EquivalenceLimit("regex equivalence: more than " + std::to_string(opt.max_pairs) +
                                 " derivative pairs");
        queue.push_back({da, db, static_cast<int>(i), terms.rep(c)});
      }
    }
  }
  return std::nullopt;
}

bool equivalent(const Node& a, const Node& b, const EquivalenceOptions& opt) {
  return !counterexample(a, b, opt).has_value();
}

bool equivalent(std::string_view a, std::string_view b, const EquivalenceOptions& opt) {
  RegexPtr ra, rb;
  try {
    ra = parse_regex(a);
    rb = parse_regex(b);
  } catch (const RegexParseError&) {
    return false;
  }
  return equivalent(*ra, *rb, opt);
}

bool matches(const Node& n, std::string_view s) {
  check_size(n);
  std::set<unsigned char> literals;
  collect_literals(n, literals);
  Terms terms(literals, EquivalenceOptions{}.max_terms);
  int t = terms.from_ast(n);
  for (char ch : s) {
    const int cell = terms.cell_of(static_cast<unsigned char>(ch));
    if (cell < 0) return false;
    t = terms.deriv(t, static_cast<size_t>(cell));
  }
  return terms.nullable(t);
}

std::string language_fingerprint(const Node& n, std::string_view literals, const EquivalenceOptions& opt) {
  check_size(n);
  std::set<unsigned char> lits(literals.begin(), literals.end()), own;
  collect_literals(n, own);
  for (unsigned char c : own)
    if (!lits.count(c))
      throw std::invalid_argument(std::string("language_fingerprint: literal '") + static_cast<char>(c) +
                                  "' is not in the given alphabet");
  // Derivatives over n's own cells (no term derived from n tells apart characters n does not), read through the
  // cells of the whole alphabet: as exact, and far fewer derivatives when `literals` is large.
  Terms terms(own, opt.max_terms);
  const std::vector<char> global = representatives(lits);
  const size_t cells = global.size();
  std::vector<size_t> local(cells);
  for (size_t c = 0; c < cells; ++c) local[c] = static_cast<size_t>(terms.cell_of(static_cast<unsigned char>(global[c])));

  // The DFA of derivatives (not minimal: equivalent derivatives may be distinct terms).
  std::unordered_map<int, int> state_of;
  std::vector<int> term_of{terms.from_ast(n)};
  state_of.emplace(term_of[0], 0);
  std::vector<int> next;  // [state * cells + cell]
  for (size_t s = 0; s < term_of.size(); ++s)
    for (size_t c = 0; c < cells; ++c) {
      const int d = terms.deriv(term_of[s], local[c]);
      auto [it, fresh] = state_of.emplace(d, static_cast<int>(term_of.size()));
      if (fresh) {
        if (term_of.size() >= opt.max_pairs)
          throw EquivalenceLimit("language_fingerprint: more than " + std::to_string(opt.max_pairs) + " states");
        term_of.push_back(d);
      }
      next.push_back(it->second);
    }
  const size_t n_states = term_of.size();

  // Moore refinement: states are split by acceptance, then by the blocks of their successors, until stable.
  std::vector<int> block(n_states), sig(n_states * (cells + 1)), idx(n_states);
  for (size_t s = 0; s < n_states; ++s) block[s] = terms.nullable(term_of[s]) ? 1 : 0;
  for (size_t blocks = 0;;) {
    for (size_t s = 0; s < n_states; ++s) {
      int* row = &sig[s * (cells + 1)];
      row[0] = block[s];
      for (size_t c = 0; c < cells; ++c) row[c + 1] = block[next[s * cells + c]];
    }
    const auto row_less = [&](int x, int y) {
      const int* a = &sig[static_cast<size_t>(x) * (cells + 1)];
      const int* b = &sig[static_cast<size_t>(y) * (cells + 1)];
      return std::lexicographical_compare(a, a + cells + 1, b, b + cells + 1);
    };
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), row_less);
    int id = 0;
    for (size_t i = 0; i < n_states; ++i) {
      if (i > 0 && row_less(idx[i - 1], idx[i])) ++id;
      block[static_cast<size_t>(idx[i])] = id;
    }
    if (static_cast<size_t>(id) + 1 == blocks) break;
    blocks = static_cast<size_t>(id) + 1;
  }

  // Blocks numbered in breadth-first order from the start: equal languages give equal strings.
  std::vector<int> number(n_states, -1), rep_of;  // number per block id; a member state per number
  std::vector<int> order{block[0]};
  number[block[0]] = 0;
  rep_of.push_back(0);
  std::string out;
  for (size_t i = 0; i < order.size(); ++i) {
    const int s = rep_of[i];
    out += terms.nullable(term_of[s]) ? 'A' : 'R';
    for (size_t c = 0; c < cells; ++c) {
      const int b = block[next[s * cells + c]];
      if (number[b] < 0) {
        number[b] = static_cast<int>(order.size());
        order.push_back(b);
        rep_of.push_back(next[s * cells + c]);
      }
      out += std::to_string(number[b]);
      out += ',';
    }
    out += ';';
  }
  return out;
}

}  // namespace jepa::task
