#include "task/regex_ast.hpp"

#include <algorithm>
#include <cctype>

namespace jepa::task {

namespace {

bool is_literal(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

RegexPtr make(Node n) { return std::make_shared<const Node>(std::move(n)); }

}  // namespace

RegexPtr char_class(CharClass c) {
  Node n;
  n.kind = Node::Kind::kClass;
  n.cls = c;
  return make(std::move(n));
}

RegexPtr word(std::string w) {
  if (w.empty() || !std::all_of(w.begin(), w.end(), is_literal))
    throw std::invalid_argument("regex word must be non-empty [A-Za-z0-9], got '" + w + "'");
  Node n;
  n.kind = Node::Kind::kWord;
  n.word = std::move(w);
  return make(std::move(n));
}

namespace {

RegexPtr nary(Node::Kind kind, std::vector<RegexPtr> kids, const char* what) {
  if (kids.empty()) throw std::invalid_argument(std::string("regex ") + what + " of nothing");
  for (const auto& k : kids)
    if (!k) throw std::invalid_argument(std::string("regex ") + what + " of a null node");
  if (kids.size() == 1) return std::move(kids[0]);
  Node n;
  n.kind = kind;
  n.kids = std::move(kids);
  return make(std::move(n));
}

}  // namespace

RegexPtr concat(std::vector<RegexPtr> kids) {
  std::vector<RegexPtr> flat;
  for (auto& k : kids) {
    if (k && k->kind == Node::Kind::kConcat)
      flat.insert(flat.end(), k->kids.begin(), k->kids.end());
    else
      flat.push_back(std::move(k));
  }
  return nary(Node::Kind::kConcat, std::move(flat), "concatenation");
}

RegexPtr alt(std::vector<RegexPtr> kids) { return nary(Node::Kind::kOr, std::move(kids), "union"); }
RegexPtr intersect(std::vector<RegexPtr> kids) { return nary(Node::Kind::kAnd, std::move(kids), "intersection"); }

RegexPtr complement(RegexPtr x) {
  if (!x) throw std::invalid_argument("regex complement of a null node");
  Node n;
  n.kind = Node::Kind::kNot;
  n.kids.push_back(std::move(x));
  return make(std::move(n));
}

RegexPtr repeat(RegexPtr x, int min, int max) {
  if (!x) throw std::invalid_argument("regex repeat of a null node");
  if (min < 0 || min > kMaxRepeat || (max != kUnbounded && (max < min || max > kMaxRepeat || max == 0)))
    throw std::invalid_argument("regex repeat {" + std::to_string(min) + "," + std::to_string(max) +
                                "} out of range");
  Node n;
  n.kind = Node::Kind::kRepeat;
  n.min = min;
  n.max = max;
  n.kids.push_back(std::move(x));
  return make(std::move(n));
}

const char* class_pattern(CharClass c) {
  switch (c) {
    case CharClass::kUpper: return "[A-Z]";
    case CharClass::kLower: return "[a-z]";
    case CharClass::kLetter: return "[A-Za-z]";
    case CharClass::kDigit: return "[0-9]";
    case CharClass::kVowel: return "[AEIOUaeiou]";
    case CharClass::kAny: return ".";
  }
  return ".";
}

bool class_contains(CharClass c, unsigned char ch) {
  if (ch < 32 || ch > 126) return false;
  switch (c) {
    case CharClass::kUpper: return ch >= 'A' && ch <= 'Z';
    case CharClass::kLower: return ch >= 'a' && ch <= 'z';
    case CharClass::kLetter: return std::isalpha(ch) != 0;
    case CharClass::kDigit: return ch >= '0' && ch <= '9';
    case CharClass::kVowel: return std::string_view("AEIOUaeiou").find(static_cast<char>(ch)) != std::string_view::npos;
    case CharClass::kAny: return true;
  }
  return false;
}

// ---- printer ----

namespace {

void print(const Node& n, std::string& out);

bool is_leaf(const Node& n) { return n.kind == Node::Kind::kClass || n.kind == Node::Kind::kWord; }

// Operands of | & ~: a word already carries its parentheses.
void print_operand(const Node& n, std::string& out) {
  if (n.kind == Node::Kind::kWord) return print(n, out);
  out += '(';
  print(n, out);
  out += ')';
}

void print(const Node& n, std::string& out) {
  switch (n.kind) {
    case Node::Kind::kClass: out += class_pattern(n.cls); return;
    case Node::Kind::kWord: out += '(' + n.word + ')'; return;
    case Node::Kind::kConcat:
      for (const auto& k : n.kids) {
        const bool wrap = k->kind == Node::Kind::kOr || k->kind == Node::Kind::kAnd || k->kind == Node::Kind::kConcat;
        if (wrap) out += '(';
        print(*k, out);
        if (wrap) out += ')';
      }
      return;
    case Node::Kind::kOr:
    case Node::Kind::kAnd:
      for (size_t i = 0; i < n.kids.size(); ++i) {
        if (i) out += n.kind == Node::Kind::kOr ? '|' : '&';
        print_operand(*n.kids[i], out);
      }
      return;
    case Node::Kind::kNot:
      out += '~';
      print_operand(*n.kids[0], out);
      return;
    case Node::Kind::kRepeat: {
      const Node& k = *n.kids[0];
      if (is_leaf(k)) {
        print(k, out);
      } else {
        out += '(';
        print(k, out);
        out += ')';
      }
      if (n.min == 0 && n.max == kUnbounded) out += '*';
      else if (n.min == 1 && n.max == kUnbounded) out += '+';
      else if (n.min == 0 && n.max == 1) out += '?';
      else if (n.max == kUnbounded) out += '{' + std::to_string(n.min) + ",}";
      else if (n.min == n.max) out += '{' + std::to_string(n.min) + '}';
      else out += '{' + std::to_string(n.min) + ',' + std::to_string(n.max) + '}';
      return;
    }
  }
}

}  // namespace

std::string to_string(const Node& n) {
  std::string out;
  print(n, out);
  return out;
}

// ---- parser ----

namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  RegexPtr parse() {
    if (s_.empty()) fail("empty regex");
    auto r = parse_alt(0);
    if (pos_ < s_.size()) fail(std::string("unexpected '") + s_[pos_] + "'");
    return r;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw RegexParseError("regex: " + what + " at offset " + std::to_string(pos_ + offset_));
  }

  bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool at_end_of_seq() const { return pos_ >= s_.size() || at('|') || at('&') || at(')'); }

  void enter(int depth) const {
    if (depth > kMaxRegexDepth) fail("nesting deeper than " + std::to_string(kMaxRegexDepth));
  }

  RegexPtr parse_alt(int depth) {
    enter(depth);
    std::vector<RegexPtr> kids{parse_and(depth)};
    while (at('|')) {
      ++pos_;
      kids.push_back(parse_and(depth));
    }
    return alt(std::move(kids));
  }

  RegexPtr parse_and(int depth) {
    std::vector<RegexPtr> kids{parse_seq(depth)};
    while (at('&')) {
      ++pos_;
      kids.push_back(parse_seq(depth));
    }
    return intersect(std::move(kids));
  }

  RegexPtr parse_seq(int depth) {
    if (at_end_of_seq()) fail(pos_ >= s_.size() ? "missing operand at end" : std::string("missing operand before '") + s_[pos_] + "'");
    std::vector<RegexPtr> kids;
    while (!at_end_of_seq()) kids.push_back(parse_unary(depth));
    // Not concat(): "(a)(b)" and "((a)(b))" stay as written, each group one element.
    if (kids.size() == 1) return kids[0];
    Node n;
    n.kind = Node::Kind::kConcat;
    n.kids = std::move(kids);
    return std::make_shared<const Node>(std::move(n));
  }

  RegexPtr parse_unary(int depth) {
    if (at('~')) {
      enter(depth + 1);
      ++pos_;
      if (at_end_of_seq()) fail("'~' without an operand");
      return complement(parse_unary(depth + 1));
    }
    return parse_postfix(depth);
  }

  RegexPtr parse_postfix(int depth) {
    RegexPtr x = parse_atom(depth);
    bool quantified = false;
    while (pos_ < s_.size() && std::string_view("*+?{").find(s_[pos_]) != std::string_view::npos) {
      if (quantified) fail(std::string("quantifier '") + s_[pos_] + "' follows a quantifier");
      quantified = true;
      const char c = s_[pos_++];
      if (c == '*') x = repeat(x, 0, kUnbounded);
      else if (c == '+') x = repeat(x, 1, kUnbounded);
      else if (c == '?') x = repeat(x, 0, 1);
      else x = parse_braces(x);
    }
    return x;
  }

  int parse_count() {
    const size_t start = pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_])) && pos_ - start < 4) ++pos_;
    if (pos_ == start) fail("expected a count in {}");
    const int v = std::stoi(std::string(s_.substr(start, pos_ - start)));
    if (v > kMaxRepeat) fail("repeat count " + std::to_string(v) + " exceeds " + std::to_string(kMaxRepeat));
    return v;
  }

  RegexPtr parse_braces(const RegexPtr& x) {
    const int lo = parse_count();
    int hi = lo;
    if (at(',')) {
      ++pos_;
      hi = at('}') ? kUnbounded : parse_count();
    }
    if (!at('}')) fail("expected '}'");
    ++pos_;
    if (hi != kUnbounded && hi < lo) fail("repeat {" + std::to_string(lo) + "," + std::to_string(hi) + "} has max < min");
    if (hi == 0) fail("repeat {0} matches only the empty string");
    return repeat(x, lo, hi);
  }

  RegexPtr parse_atom(int depth) {
    if (pos_ >= s_.size()) fail("missing operand at end");
    const char c = s_[pos_];
    if (c == '(') {
      enter(depth + 1);
      ++pos_;
      if (at(')')) fail("empty group");
      auto r = parse_alt(depth + 1);
      if (!at(')')) fail("missing ')'");
      ++pos_;
      return r;
    }
    if (c == '[') {
      for (CharClass k : {CharClass::kUpper, CharClass::kLower, CharClass::kLetter, CharClass::kDigit, CharClass::kVowel}) {
        const std::string_view p = class_pattern(k);
        if (s_.substr(pos_, p.size()) == p) {
          pos_ += p.size();
          return char_class(k);
        }
      }
      fail("unsupported character class (only [A-Z] [a-z] [A-Za-z] [0-9] [AEIOUaeiou])");
    }
    if (c == '.') {
      ++pos_;
      return char_class(CharClass::kAny);
    }
    if (is_literal(c)) {
      size_t end = pos_;
      while (end < s_.size() && is_literal(s_[end])) ++end;
      // A quantifier after a run repeats its last character only, as in any regex engine.
      if (end - pos_ > 1 && end < s_.size() && std::string_view("*+?{").find(s_[end]) != std::string_view::npos) --end;
      auto w = word(std::string(s_.substr(pos_, end - pos_)));
      pos_ = end;
      return w;
    }
    if (c == '*' || c == '+' || c == '?' || c == '{') fail(std::string("quantifier '") + c + "' without an operand");
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') fail("whitespace inside a regex");
    if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) fail("non-printable byte");
    fail(std::string("unexpected '") + c + "'");
  }

  std::string_view s_;
  size_t pos_ = 0;

 public:
  size_t offset_ = 0;  // of s_ in the caller's text, for messages
};

}  // namespace

RegexPtr parse_regex(std::string_view text) {
  if (text.size() > kMaxRegexChars)
    throw RegexParseError("regex: longer than " + std::to_string(kMaxRegexChars) + " characters (" +
                          std::to_string(text.size()) + ")");
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  size_t b = 0, e = text.size();
  while (b < e && space(text[b])) ++b;
  while (e > b && space(text[e - 1])) --e;
  // Full-match semantics already: accept explicit anchors at the very ends.
  if (b < e && text[b] == '^') ++b;
  if (e > b && text[e - 1] == '$') --e;
  Parser p(text.substr(b, e - b));
  p.offset_ = b;
  return p.parse();
}

// ---- ECMAScript ----

namespace {

// at_end: whether the sub-match must run to the end of the subject (lookaheads are only exact there).
void ecma(const Node& n, bool at_end, std::string& out) {
  switch (n.kind) {
    case Node::Kind::kClass:
      // Our universe is printable ASCII; "[ -~]" says so exactly, where '.' would also take other bytes.
      out += n.cls == CharClass::kAny ? "[ -~]" : class_pattern(n.cls);
      return;
    case Node::Kind::kWord: out += "(?:" + n.word + ")"; return;
    case Node::Kind::kConcat:
      out += "(?:";
      for (size_t i = 0; i < n.kids.size(); ++i) ecma(*n.kids[i], at_end && i + 1 == n.kids.size(), out);
      out += ")";
      return;
    case Node::Kind::kOr:
      out += "(?:";
      for (size_t i = 0; i < n.kids.size(); ++i) {
        if (i) out += '|';
        out += "(?:";
        ecma(*n.kids[i], at_end, out);
        out += ')';
      }
      out += ")";
      return;
    case Node::Kind::kAnd:
      if (!at_end) throw std::invalid_argument("to_ecmascript: '&' not at the end of the match: " + to_string(n));
      out += "(?:";
      for (size_t i = 0; i + 1 < n.kids.size(); ++i) {
        out += "(?=(?:";
        ecma(*n.kids[i], true, out);
        out += ")$)";
      }
      out += "(?:";
      ecma(*n.kids.back(), true, out);
      out += "))";
      return;
    case Node::Kind::kNot:
      if (!at_end) throw std::invalid_argument("to_ecmascript: '~' not at the end of the match: " + to_string(n));
      out += "(?:(?!(?:";
      ecma(*n.kids[0], true, out);
      out += ")$)[ -~]*)";
      return;
    case Node::Kind::kRepeat:
      out += "(?:";
      ecma(*n.kids[0], false, out);
      out += ")";
      if (n.max == kUnbounded) out += '{' + std::to_string(n.min) + ",}";
      else out += '{' + std::to_string(n.min) + ',' + std::to_string(n.max) + '}';
      return;
  }
}

RegexPtr normalized(const RegexPtr& n) {
  if (n->kids.empty()) return n;
  std::vector<RegexPtr> kids;
  for (const auto& k : n->kids) kids.push_back(normalized(k));
  if (n->kind == Node::Kind::kOr || n->kind == Node::Kind::kAnd) {
    std::vector<std::pair<std::string, RegexPtr>> keyed;
    for (auto& k : kids) keyed.emplace_back(to_string(*k), k);
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < kids.size(); ++i) kids[i] = keyed[i].second;
  }
  Node copy = *n;
  copy.kids = std::move(kids);
  return std::make_shared<const Node>(std::move(copy));
}

}  // namespace

std::string to_ecmascript(const Node& n) {
  std::string out;
  ecma(n, true, out);
  return out;
}

std::string normalized_key(const Node& n) {
  return to_string(*normalized(std::make_shared<const Node>(n)));
}

namespace {
void add_literals(const Node& n, std::string& out) {
  out += n.word;
  for (const auto& k : n.kids) add_literals(*k, out);
}
}  // namespace

std::string literal_chars(const Node& n) {
  std::string s;
  add_literals(n, s);
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

size_t node_count(const Node& n) {
  size_t c = 1;
  for (const auto& k : n.kids) c += node_count(*k);
  return c;
}

int node_depth(const Node& n) {
  int d = 0;
  for (const auto& k : n.kids) d = std::max(d, node_depth(*k));
  return d + 1;
}

}  // namespace jepa::task
