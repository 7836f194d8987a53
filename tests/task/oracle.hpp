#pragma once
// The independent oracle for the regex task's tests: std::regex (ECMAScript) on to_ecmascript's translation, and
// test strings built from the characters that can matter to a pair of regexes.
#include <regex>
#include <string>
#include <vector>

#include "task/regex_ast.hpp"
#include "task/regex_describe.hpp"

namespace jepa::task::testing {

inline std::regex ecma_regex(const Node& n) { return std::regex(to_ecmascript(n), std::regex::ECMAScript); }

inline bool oracle_match(const std::regex& re, const std::string& s) { return std::regex_match(s, re); }

inline void collect_words(const Node& n, std::vector<std::string>& out) {
  if (n.kind == Node::Kind::kWord) out.push_back(n.word);
  for (const auto& k : n.kids) collect_words(*k, out);
}

// Random strings of length <= max_len: the literal characters and words of the regexes, plus a member of every
// class (upper/lower vowel and consonant, digit, punctuation, space) that no literal is.
class Strings {
 public:
  Strings(const std::vector<const Node*>& regexes, uint64_t seed) : rng_(seed) {
    for (const Node* r : regexes) collect_words(*r, words_);
    chars_ = "AEBZaebz07# ";
    for (const auto& w : words_) chars_ += w;
  }
  std::string next(size_t max_len = 12) {
    const size_t len = rng_.below(max_len + 1);
    std::string s;
    while (s.size() < len) {
      if (!words_.empty() && rng_.chance(25)) s += words_[rng_.below(words_.size())];
      else s += chars_[rng_.below(chars_.size())];
    }
    if (s.size() > max_len) s.resize(max_len);
    return s;
  }

 private:
  TaskRng rng_;
  std::vector<std::string> words_;
  std::string chars_;
};

}  // namespace jepa::task::testing
