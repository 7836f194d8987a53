// Strict value handling: YAML scalars -> typed fields (read_value), typed fields -> exact YAML text
// (scalar_text, format_double), and the one-line renderings and suggestions used in error messages.
// Strict on purpose: a config value that YAML would read as something else is an error, never a guess.
#include "config/detail.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"

namespace jepa::config::detail {

// ---- messages -----------------------------------------------------------------------------------
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0u : 1u)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest(const std::string& key, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::numeric_limits<size_t>::max();
  for (const auto& c : candidates) {
    size_t d = edit_distance(key, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

std::string render(const YAML::Node& v) {
  if (!v.IsDefined() || v.IsNull()) return "null";
  std::string s;
  if (v.IsScalar()) {
    s = v.Tag() == "!" ? "\"" + v.Scalar() + "\"" : v.Scalar();
  } else {
    YAML::Emitter em;
    em << YAML::Flow << v;
    s = em.c_str();
  }
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

// ---- parsers ------------------------------------------------------------------------------------
std::optional<int64_t> parse_int(const std::string& s) {
  if (s.empty()) return std::nullopt;
  size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  for (size_t k = i; k < s.size(); ++k)
    if (s[k] < '0' || s[k] > '9') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno == ERANGE || end != s.c_str() + s.size()) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<double> parse_number(const std::string& s) {
  if (auto i = parse_int(s)) return static_cast<double>(*i);
  static const char* const infs[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"};
  static const char* const ninfs[] = {"-.inf", "-.Inf", "-.INF"};
  static const char* const nans[] = {".nan", ".NaN", ".NAN"};
  for (auto x : infs)
    if (s == x) return std::numeric_limits<double>::infinity();
  for (auto x : ninfs)
    if (s == x) return -std::numeric_limits<double>::infinity();
  for (auto x : nans)
    if (s == x) return std::numeric_limits<double>::quiet_NaN();
  // Decimal floats only: digits, one '.', optional exponent. (No hex floats, no "inf"/"nan" words.)
  size_t i = 0, n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < n && s[i] == '.') {
    ++i;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t ed = 0;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++ed;
    if (ed == 0) return std::nullopt;
  }
  if (i != n) return std::nullopt;
  errno = 0;
  double v = std::strtod(s.c_str(), nullptr);
  if (errno == ERANGE && std::isinf(v)) return std::nullopt;  // overflow
  return v;
}

std::optional<bool> parse_bool(const std::string& s) {
  static const char* const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
  static const char* const no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
  for (auto x : yes)
    if (s == x) return true;
  for (auto x : no)
    if (s == x) return false;
  return std::nullopt;
}

bool looks_like_non_string(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return true;
  if (parse_bool(s) || parse_number(s)) return true;
  static const char* const yaml11_bools[] = {"y", "Y", "n", "N"};
  for (auto x : yaml11_bools)
    if (s == x) return true;
  return false;
}

// Shortest decimal that reads back to exactly `x` (max_digits10 digits at worst), written like Python's repr:
// fixed notation for 1e-4 <= |x| < 1e16, else scientific; always with a '.' in the mantissa so that every
// YAML reader (YAML 1.1 too) sees a float: 300.0, 0.0001, 0.30000000000000004, 1.0e-08.
std::string format_double(double x) {
  if (std::isnan(x)) return ".nan";
  if (std::isinf(x)) return x > 0 ? ".inf" : "-.inf";
  if (x == 0) return std::signbit(x) ? "-0.0" : "0.0";
  char buf[64];
  int digits = std::numeric_limits<double>::max_digits10;
  for (int p = 1; p <= digits; ++p) {
    std::snprintf(buf, sizeof buf, "%.*e", p - 1, x);
    if (std::strtod(buf, nullptr) == x) {
      digits = p;
      break;
    }
  }
  std::snprintf(buf, sizeof buf, "%.*e", digits - 1, x);
  std::string sci = buf;
  const auto epos = sci.find('e');
  const int exp10 = std::atoi(sci.c_str() + epos + 1);
  std::string out;
  if (exp10 >= -4 && exp10 < 16) {
    std::snprintf(buf, sizeof buf, "%.*f", std::max(1, digits - 1 - exp10), x);
    out = buf;
  } else {
    std::string mant = sci.substr(0, epos);
    if (mant.find('.') == std::string::npos) mant += ".0";
    out = mant + sci.substr(epos);
  }
  if (std::strtod(out.c_str(), nullptr) != x) {  // cannot happen; keep exactness regardless
    std::snprintf(buf, sizeof buf, "%.17e", x);
    out = buf;
  }
  return out;
}

// ---- readers (strict) ---------------------------------------------------------------------------
namespace {

[[noreturn]] void bad_type(const std::string& dotted, const YAML::Node& v, const char* expected) {
  throw ConfigError("config key '" + dotted + "': value '" + render(v) + "' is not " + expected);
}

bool quoted(const YAML::Node& v) { return v.Tag() == "!"; }

template <class T>
void read_optional(const std::string& dotted, const YAML::Node& v, std::optional<T>& out) {
  if (v.IsNull()) {  // `key: null` / `key: ~` leaves an optional unset
    out.reset();
    return;
  }
  T tmp{};
  read_value(dotted, v, tmp);
  out = std::move(tmp);
}

}  // namespace

void read_value(const std::string& dotted, const YAML::Node& v, int64_t& out) {
  if (!v.IsScalar() || quoted(v)) bad_type(dotted, v, "an integer");
  auto parsed = parse_int(v.Scalar());
  if (!parsed) bad_type(dotted, v, "an integer");
  out = *parsed;
}

void read_value(const std::string& dotted, const YAML::Node& v, double& out) {
  if (!v.IsScalar() || quoted(v)) bad_type(dotted, v, "a number");
  auto parsed = parse_number(v.Scalar());
  if (!parsed) bad_type(dotted, v, "a number");
  if (!std::isfinite(*parsed)) bad_type(dotted, v, "a finite number");
  out = *parsed;
}

void read_value(const std::string& dotted, const YAML::Node& v, bool& out) {
  if (!v.IsScalar() || quoted(v)) bad_type(dotted, v, "a boolean");
  auto parsed = parse_bool(v.Scalar());
  if (!parsed) bad_type(dotted, v, "a boolean");
  out = *parsed;
}

// Strings take any non-null scalar verbatim (yaml-cpp keeps the source text, so `note: 1e-3` is "1e-3",
// never a reformatted number): harmless, and `train.note=3` works without shell-quoting gymnastics.
void read_value(const std::string& dotted, const YAML::Node& v, std::string& out) {
  if (!v.IsScalar()) bad_type(dotted, v, "a string");
  out = v.Scalar();
}

void read_value(const std::string& dotted, const YAML::Node& v, std::optional<int64_t>& out) {
  read_optional(dotted, v, out);
}
void read_value(const std::string& dotted, const YAML::Node& v, std::optional<std::string>& out) {
  read_optional(dotted, v, out);
}

// ---- writers ------------------------------------------------------------------------------------
std::string scalar_text(int64_t v, bool& needs_quotes) {
  needs_quotes = false;
  return std::to_string(v);
}
std::string scalar_text(double v, bool& needs_quotes) {
  needs_quotes = false;
  return format_double(v);
}
std::string scalar_text(bool v, bool& needs_quotes) {
  needs_quotes = false;
  return v ? "true" : "false";
}
// Strings that would read back as another type ("yes", "123", "") are quoted, so the text round-trips.
std::string scalar_text(const std::string& v, bool& needs_quotes) {
  needs_quotes = looks_like_non_string(v);
  return v;
}

}  // namespace jepa::config::detail
