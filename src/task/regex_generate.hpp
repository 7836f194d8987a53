#pragma once
// The NL<->regex paired-view dataset: distinct (description, regex) pairs and a split that keeps each regex on one
// side (docs/regex_task.md).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace jepa::task {

struct Pair {
  std::string text;  // the English description
  std::string code;  // its regex, canonical form
};

struct GenerateOptions {
  size_t max_code_chars = 60;  // longer samples are redrawn
  size_t max_text_words = 30;
};

// n pairs, a pure function of (seed, n, options): the same on every machine, and the pairs for n are a prefix of
// those for any larger n. No two regexes are equivalent (distinct languages, not just spellings); none denotes all
// strings or no string, and none has a part that changes nothing (an optional element, as in "a digit, zero or
// more times" where the line may contain anything anyway, or an operand of "and"/"or" implied by the others).
// Throws std::runtime_error when the grammar runs out of regexes.
std::vector<Pair> generate_pairs(uint64_t seed, int64_t n, const GenerateOptions& opt = {});

struct Split {
  std::vector<Pair> train, test;
};

// Puts whole groups of pairs whose regexes are equivalent (language_fingerprint) on one side: a seeded
// shuffle of the groups fills test up to n_test pairs, skipping groups that would overshoot; the rest is train.
// Both keep the input order. With distinct languages (generate_pairs) test has exactly n_test pairs. Throws when a
// code does not parse or n_test is out of range.
Split split_by_regex(const std::vector<Pair>& pairs, int64_t n_test, uint64_t seed);

}  // namespace jepa::task
