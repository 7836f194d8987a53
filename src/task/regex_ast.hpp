#pragma once
// The regex dialect of the NL<->regex task (docs/regex_task.md): an AST, its canonical printer, a parser for the
// printer's output and ordinary variants of it, and a translation to ECMAScript std::regex (the tests' oracle).
//
// Semantics: a regex denotes a set of strings over printable ASCII (32..126) and matches a line only as a whole.
//   atoms     [A-Z] [a-z] [A-Za-z] [0-9] [AEIOUaeiou] .   and literal runs of [A-Za-z0-9], printed (dog)
//   postfix   * + ? {N} {N,} {N,M}          (N, M <= kMaxRepeat)
//   prefix    ~X   complement (binds to one postfix expression: ~(X)* is ~((X)*))
//   infix     concatenation > & (intersection) > | (union), lowest last
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace jepa::task {

// Model output is untrusted: the parser bounds what it accepts so that nothing downstream can blow up.
constexpr size_t kMaxRegexChars = 1000;
constexpr int kMaxRegexDepth = 64;  // nesting of groups and prefix/postfix operators
constexpr int kMaxRepeat = 16;      // largest N or M in {N}, {N,}, {N,M}
constexpr int kUnbounded = -1;      // Node::max of * + {N,}

enum class CharClass : uint8_t { kUpper, kLower, kLetter, kDigit, kVowel, kAny };

struct Node;
using RegexPtr = std::shared_ptr<const Node>;

struct Node {
  enum class Kind : uint8_t { kClass, kWord, kConcat, kOr, kAnd, kNot, kRepeat };
  Kind kind = Kind::kClass;
  CharClass cls = CharClass::kAny;  // kClass
  std::string word;                 // kWord: non-empty, [A-Za-z0-9] only
  int min = 0, max = 0;             // kRepeat: min <= max, or max == kUnbounded
  std::vector<RegexPtr> kids;       // kConcat/kOr/kAnd: >= 2; kNot/kRepeat: exactly 1
};

// Thrown by parse_regex on malformed or oversized input; what() is one line naming the problem and its offset.
struct RegexParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Builders. concat/alt/intersect of a single element return it; concat flattens nested concatenations (so the
// printed form does not depend on how a sequence was assembled). All throw std::invalid_argument on misuse.
RegexPtr char_class(CharClass c);
RegexPtr word(std::string w);
RegexPtr concat(std::vector<RegexPtr> kids);
RegexPtr alt(std::vector<RegexPtr> kids);        // |
RegexPtr intersect(std::vector<RegexPtr> kids);  // &
RegexPtr complement(RegexPtr x);                 // ~
RegexPtr repeat(RegexPtr x, int min, int max);   // max == kUnbounded for * + {N,}
inline RegexPtr star(RegexPtr x) { return repeat(std::move(x), 0, kUnbounded); }
inline RegexPtr plus(RegexPtr x) { return repeat(std::move(x), 1, kUnbounded); }

// "[A-Z]", ..., "." -- the dialect's spelling of a class.
const char* class_pattern(CharClass c);
bool class_contains(CharClass c, unsigned char ch);

// The canonical form: deterministic, NL-RX style parentheses: every operand of | and & and ~ is parenthesised,
// words are always "(dog)", a postfix operand other than a class or word is parenthesised, and |/& inside a
// concatenation is parenthesised. parse_regex(to_string(x)) prints back to the same string.
std::string to_string(const Node& n);

// Parses the dialect. Accepts the canonical form and variants: redundant parentheses, bare literal runs
// (".*dog.*"; "dog*" repeats only the 'g', as in any regex engine), '?', {N,M}, leading '^' / trailing '$', and
// surrounding whitespace. Rejects anything else (inner spaces, other bracket expressions, escapes, empty
// groups, stacked quantifiers, counts > kMaxRepeat, > kMaxRegexChars chars, nesting > kMaxRegexDepth) by throwing
// RegexParseError. Never recurses deeper than kMaxRegexDepth frames per level.
RegexPtr parse_regex(std::string_view text);

// An ECMAScript std::regex source that, with std::regex_match, accepts exactly the strings of printable ASCII
// that `n` accepts. & and ~ become lookaheads, which ECMAScript cannot confine to a sub-span, so they are
// supported only where their match must run to the end of the string: at the top, or as the last element of a
// concatenation / an operand of | & ~ that is itself in such a place. Throws std::invalid_argument elsewhere
// (e.g. inside a repeat). The task generator only produces supported shapes.
std::string to_ecmascript(const Node& n);

// A copy with the operands of every | and & sorted by their canonical text (both are commutative): equal keys
// for regexes that differ only in operand order. Used to dedupe generated pairs and to split by regex.
std::string normalized_key(const Node& n);

// The distinct characters of n's literal words, sorted.
std::string literal_chars(const Node& n);

// Counts: nodes, and the longest root-to-leaf path.
size_t node_count(const Node& n);
int node_depth(const Node& n);

}  // namespace jepa::task
