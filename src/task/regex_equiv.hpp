#pragma once
// Exact language equivalence of two regexes of the dialect (regex_ast.hpp), by Brzozowski derivatives.
//
// Method (docs/regex_task.md): regexes become hash-consed terms whose smart constructors normalise | and & up to
// associativity, commutativity and idempotence, so every regex has finitely many distinct derivatives. The
// alphabet is printable ASCII, but no regex can tell apart two characters of the same cell of the partition
//   {each literal character of either regex} + {other upper-case vowel, other upper-case consonant, other
//   lower-case vowel, other lower-case consonant, other digit, any non-alphanumeric}
// (every class is a union of cells), so one representative per cell is exact. Two regexes are equivalent iff no
// pair of derivatives reachable by the same word disagrees on accepting the empty string (a bisimulation,
// explored breadth-first, so a counterexample is a shortest distinguishing string).
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "task/regex_ast.hpp"

namespace jepa::task {

// Thrown when a check would explore more than its cap (pathological input, e.g. nested counted repeats).
struct EquivalenceLimit : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct EquivalenceOptions {
  size_t max_pairs = 200000;  // derivative pairs explored
  size_t max_terms = 2000000;  // distinct terms built
};

// A shortest string (over the cell representatives) accepted by exactly one of a and b; nullopt when they are
// equivalent. Throws EquivalenceLimit past the caps.
std::optional<std::string> counterexample(const Node& a, const Node& b, const EquivalenceOptions& opt = {});

bool equivalent(const Node& a, const Node& b, const EquivalenceOptions& opt = {});

// For scoring model output: false when either string fails to parse (parse errors are not rethrown);
// EquivalenceLimit still propagates.
bool equivalent(std::string_view a, std::string_view b, const EquivalenceOptions& opt = {});

// Whether `s` (any bytes) is in the language of `n`.
bool matches(const Node& n, std::string_view s);

// A canonical description of the language of `n`: its minimal DFA over the cells of `literals` (plus the fixed
// groups above), states numbered breadth-first. Two regexes whose literal characters all occur in `literals` have
// equal fingerprints iff they are equivalent, so one hash lookup replaces pairwise checks when deduplicating.
// Throws std::invalid_argument when `n` has a literal character outside `literals`, EquivalenceLimit past
// opt.max_pairs DFA states.
std::string language_fingerprint(const Node& n, std::string_view literals, const EquivalenceOptions& opt = {});

}  // namespace jepa::task
