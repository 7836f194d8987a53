#pragma once
// English descriptions of regexes in the style of NL-RX-SYNTH (Locascio et al. 2016): a random structure is
// rendered both as a regex of the dialect and as a sentence, e.g.
//   lines starting with a capital letter and containing the string 'dog'   ([A-Z].*)&(.*(dog).*)
// and a parser maps every such sentence back to a regex. The grammar (docs/regex_task.md):
//   description := "lines" predicate ((","|and|or) predicate)*      one connective per description
//   predicate   := verb sequence        containing/with/having ..., starting with ..., ending with ...,
//                                       consisting of ..., and the negated verbs (not containing, without, ...)
//   sequence    := item (link item)* | item "after" item             link: followed by (adjacent) | before (gap)
//   item        := unit [[","] repetition] | counted plural          "a digit, at least 3 times", "3 or more digits"
//   unit        := atom | atom "or" atom                             atom: a class noun or the string 'dog'
// Phrases come with several paraphrases each; the parser accepts all of them.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "task/regex_ast.hpp"

namespace jepa::task {

// Deterministic across standard libraries (std:: distributions are not): splitmix64 and rejection sampling.
class TaskRng {
 public:
  explicit TaskRng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do { x = next(); } while (x >= limit);
    return x % n;
  }
  // True with probability percent / 100.
  bool chance(int percent) { return below(100) < static_cast<uint64_t>(percent); }

 private:
  uint64_t state_;
};

// The literal words of the task (lower-case, each written (dog) in a regex and 'dog' in a description).
const std::vector<std::string>& task_words();

struct Described {
  RegexPtr regex;
  std::string text;
};

// One random description and its regex. No filtering: the caller (generate_pairs) bounds lengths and drops
// degenerate languages.
Described sample_description(TaskRng& rng);

struct DescriptionParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Every reading of `text` under the grammar above, deduplicated by canonical regex string (empty when none).
// Case-insensitive outside quotes; a final '.' is allowed. Throws DescriptionParseError only for input that
// cannot be tokenised (an unterminated quote, non-alphanumeric quoted text, more than 200 tokens).
std::vector<RegexPtr> parse_description_all(const std::string& text);

// The regex `text` describes. Throws DescriptionParseError when there is no reading, or when readings disagree
// (are not equivalent languages).
RegexPtr parse_description(const std::string& text);

}  // namespace jepa::task
