#include "task/regex_generate.hpp"

#include <algorithm>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "task/regex_ast.hpp"
#include "task/regex_describe.hpp"
#include "task/regex_equiv.hpp"

namespace jepa::task {

namespace {

size_t word_count(const std::string& s) {
  std::istringstream in(s);
  size_t n = 0;
  for (std::string w; in >> w;) ++n;
  return n;
}

// "P and P": an operand repeated verbatim says nothing.
bool repeats_operand(const Node& r) {
  if (r.kind != Node::Kind::kAnd && r.kind != Node::Kind::kOr) return false;
  std::unordered_set<std::string> seen;
  for (const auto& k : r.kids)
    if (!seen.insert(to_string(*k)).second) return true;
  return false;
}

RegexPtr with_kid(const Node& n, size_t i, RegexPtr kid) {
  Node copy = n;
  copy.kids[i] = std::move(kid);
  return std::make_shared<const Node>(std::move(copy));
}

bool any_star(const Node& n) {
  return n.kind == Node::Kind::kRepeat && n.min == 0 && n.max == kUnbounded &&
         n.kids[0]->kind == Node::Kind::kClass && n.kids[0]->cls == CharClass::kAny;
}

// Every copy of n with one part dropped: an optional element (x* or x{0,m}, other than the ".*" of contexts and
// gaps) of a concatenation, or an operand of | or &.
void simplifications(const RegexPtr& n, std::vector<RegexPtr>& out) {
  const bool junction = n->kind == Node::Kind::kOr || n->kind == Node::Kind::kAnd;
  for (size_t i = 0; i < n->kids.size(); ++i) {
    const auto& k = n->kids[i];
    if (junction || (n->kind == Node::Kind::kConcat && k->kind == Node::Kind::kRepeat && k->min == 0 && !any_star(*k))) {
      std::vector<RegexPtr> rest = n->kids;
      rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
      out.push_back(n->kind == Node::Kind::kOr ? alt(std::move(rest))
                    : n->kind == Node::Kind::kAnd ? intersect(std::move(rest))
                                                 : concat(std::move(rest)));
    }
    std::vector<RegexPtr> inner;
    simplifications(k, inner);
    for (auto& v : inner) out.push_back(with_kid(*n, i, std::move(v)));
  }
}

// A part that changes nothing misleads more than it teaches: "containing a digit, any number of times, followed
// by 'dog'" says no more than "containing 'dog'", and "containing 'ring' or starting with a letter followed by
// 'ring'" no more than its first half.
bool has_idle_part(const RegexPtr& r) {
  std::vector<RegexPtr> variants;
  simplifications(r, variants);
  for (const auto& v : variants)
    if (equivalent(*r, *v)) return true;
  return false;
}

std::string task_literals() {
  std::string s;
  for (const auto& w : task_words()) s += w;
  return s;
}

}  // namespace

std::vector<Pair> generate_pairs(uint64_t seed, int64_t n, const GenerateOptions& opt) {
  if (n < 0) throw std::invalid_argument("generate_pairs: negative count " + std::to_string(n));
  std::vector<Pair> out;
  out.reserve(static_cast<size_t>(std::min<int64_t>(n, 1 << 16)));
  // Dedupe by language, not spelling: no two pairs (hence no train and test pair) denote the same set of strings.
  const std::string literals = task_literals();
  std::unordered_set<std::string> languages{
      language_fingerprint(*star(char_class(CharClass::kAny)), literals),  // all strings and no string: nothing
      language_fingerprint(*complement(star(char_class(CharClass::kAny))), literals)};  // to describe
  std::unordered_set<std::string> seen;
  TaskRng rng(seed);
  const int64_t max_attempts = 1000 + 200 * n;
  for (int64_t attempt = 0; static_cast<int64_t>(out.size()) < n; ++attempt) {
    if (attempt >= max_attempts)
      throw std::runtime_error("generate_pairs: only " + std::to_string(out.size()) + " distinct regexes in " +
                               std::to_string(attempt) + " draws, asked for " + std::to_string(n));
    Described d = sample_description(rng);
    std::string code = to_string(*d.regex);
    if (code.size() > opt.max_code_chars || word_count(d.text) > opt.max_text_words) continue;
    // Most redraws repeat an earlier regex verbatim: skip those before the costlier language check.
    if (!seen.insert(normalized_key(*d.regex)).second || repeats_operand(*d.regex)) continue;
    std::string language = language_fingerprint(*d.regex, literals);
    if (languages.count(language) || has_idle_part(d.regex)) continue;
    languages.insert(std::move(language));
    out.push_back({std::move(d.text), std::move(code)});
  }
  return out;
}

Split split_by_regex(const std::vector<Pair>& pairs, int64_t n_test, uint64_t seed) {
  if (n_test < 0 || n_test > static_cast<int64_t>(pairs.size()))
    throw std::invalid_argument("split_by_regex: n_test " + std::to_string(n_test) + " not in [0, " +
                                std::to_string(pairs.size()) + "]");
  std::vector<RegexPtr> regexes;
  std::string literals;
  for (size_t i = 0; i < pairs.size(); ++i) {
    try {
      regexes.push_back(parse_regex(pairs[i].code));
    } catch (const RegexParseError& e) {
      throw std::runtime_error("split_by_regex: pair " + std::to_string(i) + ": " + e.what());
    }
    for (char c : literal_chars(*regexes.back()))
      if (literals.find(c) == std::string::npos) literals += c;
  }
  // Groups by language (equivalent regexes, however spelled, stay together), in order of first appearance.
  std::unordered_map<std::string, size_t> group_of;
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < pairs.size(); ++i) {
    auto [it, fresh] = group_of.emplace(language_fingerprint(*regexes[i], literals), groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  std::vector<size_t> order(groups.size());
  std::iota(order.begin(), order.end(), size_t{0});
  TaskRng rng(seed ^ 0x5eed5b117ULL);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);

  std::vector<bool> in_test(pairs.size(), false);
  size_t taken = 0;
  for (size_t g : order) {
    if (taken + groups[g].size() > static_cast<size_t>(n_test)) continue;
    for (size_t i : groups[g]) in_test[i] = true;
    taken += groups[g].size();
    if (taken == static_cast<size_t>(n_test)) break;
  }
  Split s;
  for (size_t i = 0; i < pairs.size(); ++i) (in_test[i] ? s.test : s.train).push_back(pairs[i]);
  return s;
}

}  // namespace jepa::task
