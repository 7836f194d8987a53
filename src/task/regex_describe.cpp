#include "task/regex_describe.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <utility>

#include "task/regex_equiv.hpp"

namespace jepa::task {

namespace {

// ---- the phrase tables, shared by generator and parser ----
//
// '#' in a phrase stands for a count (a digit string or a number word).

const std::vector<std::string> kWords = {"dog", "truck", "ring", "lake", "cat", "bird", "sky", "tree", "book", "sun"};

struct ClassPhrases {
  CharClass cls;
  std::vector<std::string> singular, plural;
};

const std::vector<ClassPhrases> kClasses = {
    {CharClass::kUpper, {"a capital letter", "an upper-case letter", "an uppercase letter"},
     {"capital letters", "upper-case letters", "uppercase letters"}},
    {CharClass::kLower, {"a lower-case letter", "a lowercase letter", "a small letter"},
     {"lower-case letters", "lowercase letters", "small letters"}},
    {CharClass::kLetter, {"a letter"}, {"letters"}},
    {CharClass::kDigit, {"a number", "a digit"}, {"numbers", "digits"}},
    {CharClass::kVowel, {"a vowel"}, {"vowels"}},
    {CharClass::kAny, {"a character", "any character"}, {"characters"}},
};

// Introduces a quoted literal; "" = the quoted word alone.
const std::vector<std::string> kWordIntro = {"the string", "the text", ""};

enum class Rep { kStar, kPlus, kAtLeast, kExact };
constexpr Rep kReps[] = {Rep::kStar, Rep::kPlus, Rep::kAtLeast, Rep::kExact};

const std::vector<std::string>& suffixes(Rep r) {  // after a unit: "a digit, at least 3 times"
  static const std::vector<std::string> t[] = {
      {"zero or more times", "any number of times"},
      {"one or more times", "at least once", "once or more"},
      {"at least # times", "# or more times"},
      {"exactly # times", "# times"},
  };
  return t[static_cast<int>(r)];
}

const std::vector<std::string>& plural_counts(Rep r) {  // before a plural class noun: "3 or more digits"
  static const std::vector<std::string> t[] = {
      {"zero or more", "any number of"},
      {"one or more"},
      {"at least #", "# or more"},
      {"exactly #", "#"},
  };
  return t[static_cast<int>(r)];
}

const std::vector<std::string> kAdjacent = {"followed by", "immediately followed by"};
const std::vector<std::string> kGap = {"before", "followed later by"};
const std::string kAfter = "after";  // "B after A" = A, then anything, then B

enum class Ctx { kContain, kStart, kEnd, kExact };

struct Verb {
  Ctx ctx;
  bool negated;
  std::vector<std::string> phrases;
};

const std::vector<Verb> kVerbs = {
    {Ctx::kContain, false, {"containing", "with", "that contain", "having", "that have"}},
    {Ctx::kStart, false, {"starting with", "beginning with", "that start with", "that begin with"}},
    {Ctx::kEnd, false, {"ending with", "that end with"}},
    {Ctx::kExact, false, {"consisting of", "that consist of", "made up of"}},
    {Ctx::kContain, true, {"not containing", "without", "that do not contain"}},
    {Ctx::kStart, true, {"not starting with", "not beginning with", "that do not start with"}},
    {Ctx::kEnd, true, {"not ending with", "that do not end with"}},
};

const std::vector<std::string> kNumberWords = {"zero", "one", "two", "three", "four", "five",
                                               "six", "seven", "eight", "nine", "ten"};

RegexPtr any_star() { return star(char_class(CharClass::kAny)); }

RegexPtr with_rep(RegexPtr x, Rep r, int n) {
  switch (r) {
    case Rep::kStar: return star(std::move(x));
    case Rep::kPlus: return plus(std::move(x));
    case Rep::kAtLeast: return repeat(std::move(x), n, kUnbounded);
    case Rep::kExact: return repeat(std::move(x), n, n);
  }
  return x;
}

// The regex of a predicate over the sequence `pieces` (items, with ".*" for gaps).
RegexPtr predicate_regex(Ctx ctx, bool negated, std::vector<RegexPtr> pieces) {
  if (ctx == Ctx::kContain || ctx == Ctx::kEnd) pieces.insert(pieces.begin(), any_star());
  if (ctx == Ctx::kContain || ctx == Ctx::kStart) pieces.push_back(any_star());
  RegexPtr r = concat(std::move(pieces));
  return negated ? complement(std::move(r)) : r;
}

// ---- generator ----

template <class T>
const T& pick(TaskRng& rng, const std::vector<T>& v) {
  return v[rng.below(v.size())];
}

std::string number_text(TaskRng& rng, int n) {
  return rng.chance(60) ? std::to_string(n) : kNumberWords[static_cast<size_t>(n)];
}

std::string fill(const std::string& phrase, const std::string& number) {
  std::string out = phrase;
  const auto at = out.find('#');
  if (at != std::string::npos) out.replace(at, 1, number);
  return out;
}

struct Atom {
  bool is_word = false;
  size_t index = 0;  // into kClasses or kWords
  bool operator==(const Atom& o) const { return is_word == o.is_word && index == o.index; }
};

Atom sample_atom(TaskRng& rng) {
  Atom a;
  a.is_word = rng.chance(40);
  a.index = rng.below(a.is_word ? kWords.size() : kClasses.size());
  return a;
}

// "a character or a digit", "a letter or a vowel": one side contains the other (cheap to say the bigger one).
bool redundant_or(const Atom& a, const Atom& b) {
  if (a.is_word || b.is_word) return false;
  const CharClass x = kClasses[a.index].cls, y = kClasses[b.index].cls;
  const auto contains = [](CharClass big, CharClass small) {
    return big == CharClass::kAny || (big == CharClass::kLetter && small != CharClass::kDigit);
  };
  return contains(x, y) || contains(y, x);
}

RegexPtr atom_regex(const Atom& a) { return a.is_word ? word(kWords[a.index]) : char_class(kClasses[a.index].cls); }

std::string atom_text(TaskRng& rng, const Atom& a) {
  if (!a.is_word) return pick(rng, kClasses[a.index].singular);
  const std::string& intro = pick(rng, kWordIntro);
  return (intro.empty() ? "" : intro + " ") + "'" + kWords[a.index] + "'";
}

Described sample_item(TaskRng& rng) {
  std::vector<Atom> atoms{sample_atom(rng)};
  if (rng.chance(20)) {
    Atom b = sample_atom(rng);
    while (b == atoms[0] || redundant_or(atoms[0], b)) b = sample_atom(rng);
    atoms.push_back(b);
  }
  std::optional<Rep> rep;
  int n = 0;
  if (rng.chance(35)) {
    const uint64_t u = rng.below(100);
    rep = u < 10 ? Rep::kStar : u < 30 ? Rep::kPlus : u < 65 ? Rep::kAtLeast : Rep::kExact;
    n = 2 + static_cast<int>(rng.below(4));
  }
  RegexPtr unit = atoms.size() == 1 ? atom_regex(atoms[0]) : alt({atom_regex(atoms[0]), atom_regex(atoms[1])});
  if (!rep) return {unit, atom_text(rng, atoms[0]) + (atoms.size() > 1 ? " or " + atom_text(rng, atoms[1]) : "")};

  RegexPtr regex = with_rep(unit, *rep, n);
  const std::string count = number_text(rng, n);
  if (atoms.size() == 1 && !atoms[0].is_word && rng.chance(50))
    return {regex, fill(pick(rng, plural_counts(*rep)), count) + " " + pick(rng, kClasses[atoms[0].index].plural)};
  std::string text = atom_text(rng, atoms[0]);
  if (atoms.size() > 1) text += " or " + atom_text(rng, atoms[1]);
  text += (atoms.size() > 1 || rng.chance(50)) ? ", " : " ";
  return {regex, text + fill(pick(rng, suffixes(*rep)), count)};
}

struct SampledSeq {
  std::vector<RegexPtr> pieces;
  std::string text;
};

SampledSeq sample_sequence(TaskRng& rng) {
  const uint64_t u = rng.below(100);
  const int len = u < 55 ? 1 : u < 90 ? 2 : 3;
  SampledSeq s;
  Described first = sample_item(rng);
  s.pieces.push_back(first.regex);
  s.text = first.text;
  for (int i = 1; i < len; ++i) {
    Described next = sample_item(rng);
    const bool gap = rng.chance(40);
    if (gap) s.pieces.push_back(any_star());
    s.pieces.push_back(next.regex);
    if (gap && len == 2 && rng.chance(30)) {
      s.text = next.text + " " + kAfter + " " + s.text;
    } else {
      s.text += " " + pick(rng, gap ? kGap : kAdjacent) + " " + next.text;
    }
  }
  return s;
}

Described sample_predicate(TaskRng& rng) {
  const uint64_t u = rng.below(100);
  const Ctx ctx = u < 40 ? Ctx::kContain : u < 60 ? Ctx::kStart : u < 80 ? Ctx::kEnd : Ctx::kExact;
  const bool negated = ctx != Ctx::kExact && rng.chance(20);
  const Verb* verb = nullptr;
  for (const auto& v : kVerbs)
    if (v.ctx == ctx && v.negated == negated) verb = &v;
  SampledSeq seq = sample_sequence(rng);
  return {predicate_regex(ctx, negated, std::move(seq.pieces)), pick(rng, verb->phrases) + " " + seq.text};
}

// ---- description tokens ----

struct Tok {
  std::string text;  // lower-cased unless quoted
  bool quoted = false;
};

std::vector<Tok> tokenize(const std::string& text) {
  constexpr size_t kMaxTokens = 200;
  std::vector<Tok> toks;
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (std::isspace(c)) {
      ++i;
      continue;
    }
    if (c == '\'' || c == '"') {
      const size_t close = text.find(static_cast<char>(c), i + 1);
      if (close == std::string::npos)
        throw DescriptionParseError("description: unterminated quote at offset " + std::to_string(i));
      std::string w = text.substr(i + 1, close - i - 1);
      if (w.empty() || !std::all_of(w.begin(), w.end(), [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)); }))
        throw DescriptionParseError("description: quoted text must be letters and digits, got '" + w + "'");
      toks.push_back({std::move(w), true});
      i = close + 1;
    } else if (c == ',' || c == '.') {
      toks.push_back({std::string(1, static_cast<char>(c)), false});
      ++i;
    } else {
      std::string w;
      while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) && text[i] != ',' &&
             text[i] != '.' && text[i] != '\'' && text[i] != '"')
        w += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i++])));
      toks.push_back({std::move(w), false});
    }
    if (toks.size() > kMaxTokens)
      throw DescriptionParseError("description: more than " + std::to_string(kMaxTokens) + " tokens");
  }
  return toks;
}

std::vector<std::string> split_words(const std::string& phrase) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < phrase.size()) {
    const size_t sp = phrase.find(' ', i);
    const size_t end = sp == std::string::npos ? phrase.size() : sp;
    if (end > i) out.push_back(phrase.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

// ---- parser: every reading, by memoised recursive descent over alternatives ----

class DescParser {
 public:
  explicit DescParser(std::vector<Tok> toks) : toks_(std::move(toks)) {}

  std::vector<RegexPtr> parse() {
    std::vector<RegexPtr> out;
    if (!word_at(0, "lines")) return out;
    std::vector<RegexPtr> preds;
    std::vector<std::string> seps;
    for (const auto& [p, end] : predicates(1)) {
      preds = {p};
      seps.clear();
      rest(end, preds, seps, out);
    }
    return out;
  }

  size_t furthest() const { return furthest_; }
  const std::vector<Tok>& tokens() const { return toks_; }

 private:
  template <class T>
  using Readings = std::vector<std::pair<T, size_t>>;

  void step() {
    if (++steps_ > kMaxSteps) throw DescriptionParseError("description: too many readings to explore");
  }

  bool word_at(size_t pos, const std::string& w) const {
    return pos < toks_.size() && !toks_[pos].quoted && toks_[pos].text == w;
  }

  std::optional<int> number_at(size_t pos) const {
    if (pos >= toks_.size() || toks_[pos].quoted) return std::nullopt;
    const std::string& t = toks_[pos].text;
    if (!t.empty() && t.size() <= 2 && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      const int v = std::stoi(t);
      if (v <= kMaxRepeat) return v;
      return std::nullopt;
    }
    for (size_t i = 0; i < kNumberWords.size(); ++i)
      if (t == kNumberWords[i]) return static_cast<int>(i);
    return std::nullopt;
  }

  // Matches `phrase` at pos: its end and the count its '#' stood for (0 when it has none).
  std::optional<std::pair<size_t, int>> match(const std::string& phrase, size_t pos) {
    int number = 0;
    for (const auto& w : split_words(phrase)) {
      if (w == "#") {
        auto n = number_at(pos);
        if (!n) return std::nullopt;
        number = *n;
      } else if (!word_at(pos, w)) {
        return std::nullopt;
      }
      ++pos;
    }
    furthest_ = std::max(furthest_, pos);
    return std::make_pair(pos, number);
  }

  Readings<RegexPtr> atoms(size_t pos) {
    Readings<RegexPtr> out;
    for (const auto& c : kClasses)
      for (const auto& p : c.singular)
        if (auto m = match(p, pos)) out.emplace_back(char_class(c.cls), m->first);
    for (const auto& intro : kWordIntro) {
      auto m = match(intro, pos);
      if (m && m->first < toks_.size() && toks_[m->first].quoted) {
        out.emplace_back(word(toks_[m->first].text), m->first + 1);
        furthest_ = std::max(furthest_, m->first + 1);
      }
    }
    return out;
  }

  Readings<RegexPtr> units(size_t pos) {
    Readings<RegexPtr> out;
    for (const auto& [a, p] : atoms(pos)) {
      out.emplace_back(a, p);
      if (word_at(p, "or"))
        for (const auto& [b, q] : atoms(p + 1)) out.emplace_back(alt({a, b}), q);
    }
    return out;
  }

  // "exactly zero times" would denote only the empty string: not in the grammar.
  static bool valid_count(Rep r, int n) { return r != Rep::kExact || n >= 1; }

  const Readings<RegexPtr>& items(size_t pos) {
    auto it = items_.find(pos);
    if (it != items_.end()) return it->second;
    step();
    Readings<RegexPtr> out;
    for (const auto& [u, p] : units(pos)) {
      out.emplace_back(u, p);
      const size_t q = word_at(p, ",") ? p + 1 : p;  // "a digit at least 3 times", "a digit, at least 3 times"
      for (Rep r : kReps)
        for (const auto& phrase : suffixes(r))
          if (auto m = match(phrase, q); m && valid_count(r, m->second))
            out.emplace_back(with_rep(u, r, m->second), m->first);
    }
    for (Rep r : kReps)
      for (const auto& phrase : plural_counts(r))
        if (auto m = match(phrase, pos); m && valid_count(r, m->second))
          for (const auto& c : kClasses)
            for (const auto& noun : c.plural)
              if (auto m2 = match(noun, m->first)) out.emplace_back(with_rep(char_class(c.cls), r, m->second), m2->first);
    return items_[pos] = std::move(out);
  }

  // item (link item)*: the pieces of a concatenation, with ".*" for each gap.
  const Readings<std::vector<RegexPtr>>& chains(size_t pos) {
    auto it = chains_.find(pos);
    if (it != chains_.end()) return it->second;
    step();
    Readings<std::vector<RegexPtr>> out;
    const Readings<RegexPtr> heads = items(pos);  // copy: the recursion below may rehash items_
    for (const auto& [head, p] : heads) {
      out.push_back({{head}, p});
      for (bool gap : {false, true})
        for (const auto& link : gap ? kGap : kAdjacent)
          if (auto m = match(link, p)) {
            const auto tails = chains(m->first);
            for (const auto& [tail, q] : tails) {
              std::vector<RegexPtr> pieces{head};
              if (gap) pieces.push_back(any_star());
              pieces.insert(pieces.end(), tail.begin(), tail.end());
              out.push_back({std::move(pieces), q});
            }
          }
    }
    return chains_[pos] = std::move(out);
  }

  Readings<std::vector<RegexPtr>> sequences(size_t pos) {
    Readings<std::vector<RegexPtr>> out = chains(pos);
    const Readings<RegexPtr> firsts = items(pos);
    for (const auto& [later, p] : firsts)
      if (word_at(p, kAfter)) {
        const Readings<RegexPtr> earlier = items(p + 1);
        for (const auto& [e, q] : earlier) out.push_back({{e, any_star(), later}, q});
      }
    return out;
  }

  const Readings<RegexPtr>& predicates(size_t pos) {
    auto it = preds_.find(pos);
    if (it != preds_.end()) return it->second;
    step();
    Readings<RegexPtr> out;
    for (const auto& v : kVerbs)
      for (const auto& phrase : v.phrases)
        if (auto m = match(phrase, pos))
          for (auto& [pieces, q] : sequences(m->first)) out.emplace_back(predicate_regex(v.ctx, v.negated, pieces), q);
    return preds_[pos] = std::move(out);
  }

  // After a predicate: the end (optionally '.'), or a separator and another predicate. One connective per
  // description ("and" or "or"; a list "P, Q and R" ends with it), so no precedence question arises.
  void rest(size_t pos, std::vector<RegexPtr>& preds, std::vector<std::string>& seps, std::vector<RegexPtr>& out) {
    step();
    const size_t end = word_at(pos, ".") ? pos + 1 : pos;
    if (end == toks_.size()) {
      furthest_ = std::max(furthest_, end);
      finish(preds, seps, out);
    }
    for (const std::string sep : {",", "and", "or", ", and", ", or"})
      if (auto m = match(sep, pos)) {
        const auto next = predicates(m->first);
        for (const auto& [p, q] : next) {
          preds.push_back(p);
          seps.push_back(sep);
          rest(q, preds, seps, out);
          preds.pop_back();
          seps.pop_back();
        }
      }
  }

  static void finish(const std::vector<RegexPtr>& preds, const std::vector<std::string>& seps,
                     std::vector<RegexPtr>& out) {
    if (preds.size() == 1) {
      out.push_back(preds[0]);
      return;
    }
    if (seps.back() == ",") return;  // "P, Q" names no connective
    const bool is_or = seps.back().find("or") != std::string::npos;
    for (const auto& s : seps)
      if (s != "," && (s.find("or") != std::string::npos) != is_or) return;  // mixed and/or: no reading
    out.push_back(is_or ? alt(preds) : intersect(preds));
  }

  static constexpr size_t kMaxSteps = 200000;
  std::vector<Tok> toks_;
  size_t furthest_ = 0, steps_ = 0;
  std::map<size_t, Readings<RegexPtr>> items_, preds_;
  std::map<size_t, Readings<std::vector<RegexPtr>>> chains_;
};

}  // namespace

const std::vector<std::string>& task_words() { return kWords; }

Described sample_description(TaskRng& rng) {
  const uint64_t u = rng.below(100);
  const int count = u < 50 ? 1 : u < 90 ? 2 : 3;
  const bool is_or = rng.chance(40);
  std::vector<RegexPtr> regexes;
  std::string text = "lines ";
  const bool list_form = count == 3 && rng.chance(50);
  for (int i = 0; i < count; ++i) {
    Described p = sample_predicate(rng);
    if (i > 0) text += list_form && i == 1 ? ", " : is_or ? " or " : " and ";
    text += p.text;
    regexes.push_back(p.regex);
  }
  return {is_or ? alt(regexes) : intersect(regexes), text};
}

std::vector<RegexPtr> parse_description_all(const std::string& text) {
  DescParser parser(tokenize(text));
  std::vector<RegexPtr> readings;
  std::vector<std::string> seen;
  for (auto& r : parser.parse()) {
    std::string s = to_string(*r);
    if (std::find(seen.begin(), seen.end(), s) != seen.end()) continue;
    seen.push_back(std::move(s));
    readings.push_back(std::move(r));
  }
  return readings;
}

RegexPtr parse_description(const std::string& text) {
  DescParser parser(tokenize(text));
  auto readings = parser.parse();
  if (readings.empty()) {
    const auto& toks = parser.tokens();
    const size_t at = parser.furthest();
    throw DescriptionParseError("description: no reading; stuck at word " + std::to_string(at + 1) +
                                (at < toks.size() ? " ('" + toks[at].text + "')" : " (end)"));
  }
  for (size_t i = 1; i < readings.size(); ++i)
    if (!equivalent(*readings[0], *readings[i]))
      throw DescriptionParseError("description: ambiguous: reads as " + to_string(*readings[0]) + " and as " +
                                  to_string(*readings[i]));
  return readings[0];
}

}  // namespace jepa::task
