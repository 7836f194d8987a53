// Language equivalence (src/task/regex_equiv.*) against an independent oracle, std::regex on the ECMAScript
// translation: every counterexample really separates the two regexes, and no random string separates a pair
// judged equivalent. Pairs are generated regexes with random mutations (usually different), rewrites that keep
// the language (always equivalent) and unrelated regexes; plus hand-written identities and non-identities.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "oracle.hpp"
#include "task/regex_ast.hpp"
#include "task/regex_describe.hpp"
#include "task/regex_equiv.hpp"

using namespace jepa::task;
using jepa::task::testing::ecma_regex;
using jepa::task::testing::oracle_match;
using jepa::task::testing::Strings;

namespace {

RegexPtr node(Node n) { return std::make_shared<const Node>(std::move(n)); }

RegexPtr with_kid(const RegexPtr& n, size_t i, RegexPtr kid) {
  Node c = *n;
  c.kids[i] = std::move(kid);
  return node(std::move(c));
}

const CharClass kAllClasses[] = {CharClass::kUpper, CharClass::kLower, CharClass::kLetter,
                                 CharClass::kDigit, CharClass::kVowel, CharClass::kAny};

// A small change somewhere: usually another language.
RegexPtr mutate_here(const RegexPtr& n, TaskRng& rng) {
  switch (n->kind) {
    case Node::Kind::kClass: return char_class(kAllClasses[rng.below(6)]);
    case Node::Kind::kWord:
      if (n->word.size() > 1 && rng.chance(50)) return word(n->word.substr(0, n->word.size() - 1));
      return word(task_words()[rng.below(task_words().size())]);
    case Node::Kind::kRepeat: {
      int lo = n->min, hi = n->max;
      if (rng.chance(50)) lo = std::max(0, std::min(lo + (rng.chance(50) ? 1 : -1), kMaxRepeat));
      else hi = hi == kUnbounded ? std::max(lo, 1) : kUnbounded;
      if (hi != kUnbounded && hi < lo) hi = lo;
      if (hi == 0) hi = 1;
      return repeat(n->kids[0], lo, hi);
    }
    case Node::Kind::kConcat: {
      std::vector<RegexPtr> kids = n->kids;
      const size_t i = rng.below(kids.size());
      if (rng.chance(50)) kids.erase(kids.begin() + static_cast<std::ptrdiff_t>(i));
      else if (i + 1 < kids.size()) std::swap(kids[i], kids[i + 1]);
      else kids.push_back(char_class(kAllClasses[rng.below(6)]));
      Node c = *n;
      if (kids.size() == 1) return kids[0];
      c.kids = std::move(kids);
      return node(std::move(c));
    }
    case Node::Kind::kOr:
    case Node::Kind::kAnd: return n->kids[rng.below(n->kids.size())];
    case Node::Kind::kNot: return n->kids[0];
  }
  return n;
}

RegexPtr mutate(const RegexPtr& n, TaskRng& rng) {
  if (n->kids.empty() || rng.chance(25)) return mutate_here(n, rng);
  const size_t i = rng.below(n->kids.size());
  return with_kid(n, i, mutate(n->kids[i], rng));
}

// Changes the spelling, never the language.
RegexPtr rewrite(const RegexPtr& n, TaskRng& rng) {
  RegexPtr r = n;
  if (!n->kids.empty()) {
    const size_t i = rng.below(n->kids.size());
    r = with_kid(n, i, rewrite(n->kids[i], rng));
  }
  switch (r->kind) {
    case Node::Kind::kClass:  // a letter is an upper- or a lower-case letter
      if (r->cls == CharClass::kLetter && rng.chance(50))
        return alt({char_class(CharClass::kLower), char_class(CharClass::kUpper)});
      return r;
    case Node::Kind::kWord:  // "dog" = "do" "g"
      if (r->word.size() > 1 && rng.chance(50)) return concat({word(r->word.substr(0, 1)), word(r->word.substr(1))});
      return r;
    case Node::Kind::kRepeat:
      if (r->min >= 1 && rng.chance(50)) {  // x{n,m} = x x{n-1,m-1}
        const int lo = r->min - 1, hi = r->max == kUnbounded ? kUnbounded : r->max - 1;
        if (hi == 0) return r->kids[0];
        return concat({r->kids[0], repeat(r->kids[0], lo, hi)});
      }
      if (r->min == 0 && r->max == kUnbounded && rng.chance(50)) return repeat(plus(r->kids[0]), 0, 1);  // x* = (x+)?
      return r;
    case Node::Kind::kOr:
    case Node::Kind::kAnd: {  // commutative
      std::vector<RegexPtr> kids(r->kids.rbegin(), r->kids.rend());
      return r->kind == Node::Kind::kOr ? alt(kids) : intersect(kids);
    }
    case Node::Kind::kNot:
      if (r->kids[0]->kind == Node::Kind::kOr) {  // De Morgan
        std::vector<RegexPtr> nots;
        for (const auto& k : r->kids[0]->kids) nots.push_back(complement(k));
        return intersect(nots);
      }
      return rng.chance(30) ? complement(complement(r)) : r;
    default: return r;
  }
}

struct Tally {
  int equivalent = 0, different = 0, skipped = 0;
};

// The check of one pair against the oracle; strings over the characters that matter to the pair.
void check_pair(const RegexPtr& a, const RegexPtr& b, uint64_t seed, int strings, Tally& t) {
  std::regex ra, rb;
  try {
    ra = ecma_regex(*a);
    rb = ecma_regex(*b);
  } catch (const std::invalid_argument&) {
    ++t.skipped;  // a mutation moved & or ~ where ECMAScript cannot express it
    return;
  }
  const std::string sa = to_string(*a), sb = to_string(*b);
  const auto ce = counterexample(*a, *b);
  if (ce) {
    ++t.different;
    EXPECT_NE(oracle_match(ra, *ce), oracle_match(rb, *ce)) << sa << " vs " << sb << " on '" << *ce << "'";
    EXPECT_EQ(matches(*a, *ce), oracle_match(ra, *ce)) << sa << " on '" << *ce << "'";
  } else {
    ++t.equivalent;
  }
  Strings gen({a.get(), b.get()}, seed);
  for (int i = 0; i < strings; ++i) {
    const std::string s = gen.next();
    const bool in_a = oracle_match(ra, s);
    if (!ce) ASSERT_EQ(in_a, oracle_match(rb, s)) << sa << " ≡ " << sb << " but not on '" << s << "'";
    ASSERT_EQ(matches(*a, s), in_a) << sa << " on '" << s << "'";
  }
}

void expect_equivalent(const std::string& a, const std::string& b) {
  const auto ce = counterexample(*parse_regex(a), *parse_regex(b));
  EXPECT_FALSE(ce.has_value()) << a << " vs " << b << ": '" << ce.value_or("") << "'";
}

// Different, and the shortest distinguishing string is in exactly one language (by our matcher).
std::string expect_different(const std::string& a, const std::string& b) {
  const auto ra = parse_regex(a), rb = parse_regex(b);
  const auto ce = counterexample(*ra, *rb);
  EXPECT_TRUE(ce.has_value()) << a << " vs " << b;
  if (!ce) return "";
  EXPECT_NE(matches(*ra, *ce), matches(*rb, *ce)) << a << " vs " << b << " on '" << *ce << "'";
  return *ce;
}

}  // namespace

TEST(RegexEquiv, MutatedPairsAgreeWithStdRegex) {
  TaskRng rng(21);
  Tally t;
  for (int i = 0; i < 400; ++i) {
    const RegexPtr a = sample_description(rng).regex;
    RegexPtr b = mutate(a, rng);
    if (rng.chance(30)) b = mutate(b, rng);
    check_pair(a, b, 1000 + i, 200, t);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(t.different, 250);
  EXPECT_GT(t.equivalent, 5);  // some mutations change nothing (e.g. "a{2,}" -> "a{2,}" inside ".*...*")
  EXPECT_LT(t.skipped, 40);
}

TEST(RegexEquiv, RewrittenPairsAreEquivalentAndStdRegexAgrees) {
  TaskRng rng(22);
  Tally t;
  for (int i = 0; i < 400; ++i) {
    const RegexPtr a = sample_description(rng).regex;
    RegexPtr b = rewrite(a, rng);
    for (int k = 0; k < 3; ++k) b = rewrite(b, rng);
    ASSERT_TRUE(equivalent(*a, *b)) << to_string(*a) << " vs " << to_string(*b) << ": '"
                                    << counterexample(*a, *b).value_or("") << "'";
    check_pair(a, b, 2000 + i, 200, t);
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(t.different, 0);
  EXPECT_LT(t.skipped, 40);
}

TEST(RegexEquiv, UnrelatedPairsAgreeWithStdRegex) {
  TaskRng rng(23);
  Tally t;
  for (int i = 0; i < 200; ++i) check_pair(sample_description(rng).regex, sample_description(rng).regex, 3000 + i, 100, t);
  EXPECT_GT(t.different, 190);
}

TEST(RegexEquiv, KnownIdentities) {
  expect_equivalent("([a-z])|([A-Z])", "[A-Za-z]");
  expect_equivalent("~(~(.*(dog).*))", ".*(dog).*");
  expect_equivalent("(.*(dog).*)&(.*(cat).*)", "(.*(dog).*(cat).*)|(.*(cat).*(dog).*)");
  expect_equivalent("[AEIOUaeiou]", "(a)|(e)|(i)|(o)|(u)|(A)|(E)|(I)|(O)|(U)");
  expect_equivalent("([AEIOUaeiou])&([A-Z])", "(A)|(E)|(I)|(O)|(U)");
  expect_equivalent("[0-9]", "(0)|(1)|(2)|(3)|(4)|(5)|(6)|(7)|(8)|(9)");
  expect_equivalent(".*", "(.)*");
  expect_equivalent(".*", "~(~(.*))");
  expect_equivalent(".+", "..*");
  expect_equivalent("[0-9]{2,}", "[0-9][0-9]+");
  expect_equivalent("[0-9]{2,4}", "([0-9]{2})([0-9]?){2}");
  expect_equivalent("((a)|(b))*", "((a)*(b)*)*");
  expect_equivalent("~(.*)", "(~(.*))&(dog)");  // both empty
  expect_equivalent("(dog)", "dog");
  expect_equivalent(".*[0-9].*", ".*([0-9])+.*");
  expect_equivalent("~((a)|(b))", "(~(a))&(~(b))");
  expect_equivalent("~([A-Z].*)", "(~(.+))|(((~([A-Z]))&(.)).*)");
  expect_equivalent(".*[A-Z]{3,}.*", ".*[A-Z]{3}.*");
  expect_equivalent("(sky)+(sky)", "(sky){2,}");
}

TEST(RegexEquiv, KnownDifferencesWithShortestCounterexamples) {
  EXPECT_EQ(expect_different("(dog)+", "(dog)*"), "");
  EXPECT_EQ(expect_different("[0-9]{2,4}", "[0-9]{2,5}").size(), 5u);
  EXPECT_EQ(expect_different("[0-9]", "(0)|(1)|(2)|(3)|(4)|(5)|(6)|(7)|(8)"), "9");
  // "ab" and "ba" overlap in "aba": containing both is not containing one before the other.
  const std::string w = expect_different("(.*(ab).*)&(.*(ba).*)", "(.*(ab).*(ba).*)|(.*(ba).*(ab).*)");
  EXPECT_TRUE(w == "aba" || w == "bab") << w;
  EXPECT_EQ(expect_different("dog*", "(dog)*"), "");
  EXPECT_EQ(expect_different("[A-Za-z]", "([a-z])|(([A-Z])&(~(Z)))"), "Z");
  EXPECT_EQ(expect_different(".", "([A-Za-z])|([0-9])").size(), 1u);  // punctuation or a space
  expect_different("[AEIOUaeiou]", "(a)|(e)|(i)|(o)|(u)|(A)|(E)|(I)|(O)");
  expect_different(".*(truck).*", ".*(truck)");
}

TEST(RegexEquiv, StringOverloadTreatsGarbageAsDifferent) {
  EXPECT_TRUE(equivalent(std::string_view("([a-z])|([A-Z])"), std::string_view("[A-Za-z]")));
  EXPECT_FALSE(equivalent(std::string_view("[A-Za-z"), std::string_view("[A-Za-z")));
  EXPECT_FALSE(equivalent(std::string_view(""), std::string_view(".*")));
}

TEST(RegexEquiv, PathologicalInputHitsALimitNotAHang) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(equivalent(*parse_regex("((((.){16}){16}){16}){16}"), *parse_regex(".*")), EquivalenceLimit);
  // .*a.{12}: the DFA remembers the last 13 characters.
  EquivalenceOptions small;
  small.max_pairs = 1000;
  EXPECT_THROW(equivalent(*parse_regex(".*(a).{12}"), *parse_regex(".*(a).{13}"), small), EquivalenceLimit);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10.0);
}

TEST(RegexEquiv, TenThousandChecksAreFast) {
  TaskRng rng(24);
  std::vector<RegexPtr> rs;
  for (int i = 0; i < 10001; ++i) rs.push_back(sample_description(rng).regex);
  const auto start = std::chrono::steady_clock::now();
  int same = 0;
  for (int i = 0; i < 5000; ++i) same += equivalent(*rs[i], *rs[i + 1]);                          // mostly different
  for (int i = 0; i < 5000; ++i) same += equivalent(*rs[i], *parse_regex(to_string(*rs[i])));  // all equivalent
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(same, 5000);
  EXPECT_LT(s, 5.0) << "10^4 equivalence checks took " << s << " s";
  std::cout << "[ timing   ] 10^4 equivalence checks: " << s << " s\n";
}

TEST(RegexEquiv, FingerprintsAgreeWithEquivalence) {
  TaskRng rng(25);
  std::string literals;
  for (const auto& w : task_words()) literals += w;
  int equal = 0;
  for (int i = 0; i < 500; ++i) {
    const RegexPtr a = sample_description(rng).regex;
    const RegexPtr b = rng.chance(50) ? rewrite(a, rng) : mutate(a, rng);
    const bool same = language_fingerprint(*a, literals) == language_fingerprint(*b, literals);
    ASSERT_EQ(same, equivalent(*a, *b)) << to_string(*a) << " vs " << to_string(*b);
    equal += same;
  }
  EXPECT_GT(equal, 200);
  EXPECT_LT(equal, 450);
  EXPECT_THROW(language_fingerprint(*parse_regex("(zebra)"), literals), std::invalid_argument);
  // A larger alphabet than the regex needs changes nothing about which regexes collide.
  EXPECT_EQ(language_fingerprint(*parse_regex("([a-z])|([A-Z])"), "xyz"), language_fingerprint(*parse_regex("[A-Za-z]"), "xyz"));
}
