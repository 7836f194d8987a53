// Typed configuration: schema (the structs' defaults), strict YAML -> struct conversion, validation,
// and exact YAML output. The list of fields lives in one place, visit_fields(), used by every direction.
#include "config/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <type_traits>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "config/detail.hpp"

namespace jepa::config {

namespace {

// Every field of the schema, in output order. `f(section, key, field)` for a Config (const or not).
template <class C, class F>
void visit_fields(C& c, F&& f) {
  f("model", "name", c.model.name);
  f("model", "dim", c.model.dim);
  f("model", "layers", c.model.layers);
  f("model", "heads", c.model.heads);
  f("model", "ff_dim", c.model.ff_dim);
  f("model", "dropout", c.model.dropout);
  f("model", "max_positions", c.model.max_positions);
  f("model", "pred_hidden_mult", c.model.pred_hidden_mult);
  f("model", "pred_dropout", c.model.pred_dropout);

  f("jepa", "mask_ratio", c.jepa.mask_ratio);
  f("jepa", "mean_span_len", c.jepa.mean_span_len);
  f("jepa", "ema_m", c.jepa.ema_m);
  f("jepa", "ema_schedule", c.jepa.ema_schedule);
  f("jepa", "ema_m_end", c.jepa.ema_m_end);
  f("jepa", "target_eval", c.jepa.target_eval);

  f("optim", "lr", c.optim.lr);
  f("optim", "weight_decay", c.optim.weight_decay);
  f("optim", "warmup_steps", c.optim.warmup_steps);
  f("optim", "grad_clip", c.optim.grad_clip);
  f("optim", "beta1", c.optim.beta1);
  f("optim", "beta2", c.optim.beta2);
  f("optim", "eps", c.optim.eps);

  f("train", "steps", c.train.steps);
  f("train", "batch_size", c.train.batch_size);
  f("train", "log_every", c.train.log_every);
  f("train", "save_every", c.train.save_every);
  f("train", "seed", c.train.seed);
  f("train", "device", c.train.device);
  f("train", "threads", c.train.threads);
  f("train", "keep_checkpoints", c.train.keep_checkpoints);
  f("train", "resume", c.train.resume);
  f("train", "detect_anomaly", c.train.detect_anomaly);
  f("train", "precision", c.train.precision);
  f("train", "note", c.train.note);

  f("data", "path", c.data.path);
  f("data", "max_length", c.data.max_length);
  f("data", "vocab", c.data.vocab);
  f("data", "max_docs", c.data.max_docs);

  f("dist", "backend", c.dist.backend);
  f("dist", "bucket_mb", c.dist.bucket_mb);
  f("dist", "overlap", c.dist.overlap);
  f("dist", "check_sync_every", c.dist.check_sync_every);
  f("dist", "timeout_s", c.dist.timeout_s);
  f("dist", "fault", c.dist.fault);

  f("monitor", "min_std", c.monitor.min_std);
  f("monitor", "min_effective_rank", c.monitor.min_effective_rank);

  f("run", "dir", c.run.dir);
}

struct SchemaKeys {
  std::vector<std::string> sections;  // in order
  std::vector<std::string> dotted;    // "section.key", in order
};

const SchemaKeys& schema_keys() {
  static const SchemaKeys keys = [] {
    SchemaKeys k;
    Config c;
    visit_fields(c, [&](const char* sec, const char* key, auto&) {
      if (k.sections.empty() || k.sections.back() != sec) k.sections.emplace_back(sec);
      k.dotted.push_back(std::string(sec) + "." + key);
    });
    return k;
  }();
  return keys;
}

bool is_section(const std::string& s) {
  const auto& v = schema_keys().sections;
  return std::find(v.begin(), v.end(), s) != v.end();
}
bool is_key(const std::string& dotted) {
  const auto& v = schema_keys().dotted;
  return std::find(v.begin(), v.end(), dotted) != v.end();
}

[[noreturn]] void unknown_key(const std::string& dotted) {
  std::vector<std::string> candidates = schema_keys().sections;
  for (const auto& d : schema_keys().dotted) candidates.push_back(d);
  throw ConfigError("unknown config key '" + dotted + "' (did you mean '" + detail::closest(dotted, candidates) +
                    "'?)");
}

[[noreturn]] void bad_type(const std::string& dotted, const YAML::Node& v, const char* expected) {
  throw ConfigError("config key '" + dotted + "': value '" + detail::render(v) + "' is not " + expected);
}

bool quoted(const YAML::Node& v) { return v.Tag() == "!"; }

// ---- scalar readers (strict) -------------------------------------------------------------------
void read_value(const std::string& dotted, const YAML::Node& v, int64_t& out) {
  if (!v.IsScalar() || quoted(v)) bad_type(dotted, v, "an integer");
  auto parsed = detail::parse_int(v.Scalar());
  if (!parsed) bad_type(dotted, v, "an integer");
  out = *parsed;
}

void read_value(const std::string& dotted, const YAML::Node& v, double& out) {
  if (!v.IsScalar() || quoted(v)) bad_type(dotted, v, "a number");
  auto parsed = detail::parse_number(v.Scalar());
  if (!parsed) bad_type(dotted, v, "a number");
  if (!std::isfinite(*parsed)) bad_type(dotted, v, "a finite number");
  out = *parsed;
}

void read_value(const std::string& dotted, const YAML::Node& v, bool& out) {
  if (!v.IsScalar() || quoted(v)) bad_type(dotted, v, "a boolean");
  auto parsed = detail::parse_bool(v.Scalar());
  if (!parsed) bad_type(dotted, v, "a boolean");
  out = *parsed;
}

// Strings take any non-null scalar verbatim (yaml-cpp keeps the source text, so `note: 1e-3` is "1e-3",
// never a reformatted number): harmless, and `train.note=3` works without shell-quoting gymnastics.
void read_value(const std::string& dotted, const YAML::Node& v, std::string& out) {
  if (!v.IsScalar()) bad_type(dotted, v, "a string");
  out = v.Scalar();
}

template <class T>
void read_value(const std::string& dotted, const YAML::Node& v, std::optional<T>& out) {
  if (v.IsNull()) {  // `key: null` / `key: ~` leaves an optional unset
    out.reset();
    return;
  }
  T tmp{};
  read_value(dotted, v, tmp);
  out = std::move(tmp);
}

// ---- validation ---------------------------------------------------------------------------------
std::string num(double x) { return detail::format_double(x); }

[[noreturn]] void out_of_range(const std::string& dotted, const std::string& value, const std::string& rule) {
  throw ConfigError("config key '" + dotted + "': value " + value + " is out of range (" + rule + ")");
}

void at_least(const std::string& dotted, int64_t v, int64_t lo) {
  if (v < lo) out_of_range(dotted, std::to_string(v), "must be >= " + std::to_string(lo));
}
void positive(const std::string& dotted, double v) {
  if (!(v > 0)) out_of_range(dotted, num(v), "must be > 0");
}
void non_negative(const std::string& dotted, double v) {
  if (!(v >= 0)) out_of_range(dotted, num(v), "must be >= 0");
}
void in_closed01(const std::string& dotted, double v) {
  if (!(v >= 0 && v <= 1)) out_of_range(dotted, num(v), "must be in [0, 1]");
}
void in_halfopen01(const std::string& dotted, double v) {
  if (!(v >= 0 && v < 1)) out_of_range(dotted, num(v), "must be in [0, 1)");
}
void non_empty(const std::string& dotted, const std::string& v) {
  if (v.empty()) throw ConfigError("config key '" + dotted + "': value '' is invalid (must not be empty)");
}

bool valid_device(const std::string& d) {
  if (d == "auto" || d == "cpu" || d == "cuda") return true;
  if (d.rfind("cuda:", 0) == 0 && d.size() > 5)
    return std::all_of(d.begin() + 5, d.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  return false;
}

// dist.fault (test-only): none | <abort|hang|perturb_target>@<rank>:<step>, rank and step non-negative integers.
bool valid_fault(const std::string& f) {
  if (f == "none") return true;
  const auto at = f.find('@'), colon = f.find(':', at == std::string::npos ? 0 : at);
  if (at == std::string::npos || colon == std::string::npos) return false;
  const std::string kind = f.substr(0, at), rank = f.substr(at + 1, colon - at - 1), step = f.substr(colon + 1);
  auto digits = [](const std::string& s) {
    return !s.empty() && s.size() < 12 && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  };
  return (kind == "abort" || kind == "hang" || kind == "perturb_target") && digits(rank) && digits(step);
}

void validate(const Config& c) {
  const auto& m = c.model;
  non_empty("model.name", m.name);
  at_least("model.dim", m.dim, 1);
  at_least("model.layers", m.layers, 1);
  at_least("model.heads", m.heads, 1);
  if (m.dim % m.heads != 0)
    throw ConfigError("config key 'model.dim': value " + std::to_string(m.dim) + " is not divisible by model.heads (" +
                      std::to_string(m.heads) + ")");
  at_least("model.ff_dim", m.ff_dim, 1);
  in_halfopen01("model.dropout", m.dropout);
  at_least("model.max_positions", m.max_positions, 1);
  at_least("model.pred_hidden_mult", m.pred_hidden_mult, 1);
  in_halfopen01("model.pred_dropout", m.pred_dropout);

  const auto& j = c.jepa;
  if (!(j.mask_ratio > 0 && j.mask_ratio <= 1)) out_of_range("jepa.mask_ratio", num(j.mask_ratio), "must be in (0, 1]");
  positive("jepa.mean_span_len", j.mean_span_len);
  in_closed01("jepa.ema_m", j.ema_m);
  if (j.ema_schedule != "constant" && j.ema_schedule != "linear")
    throw ConfigError("config key 'jepa.ema_schedule': value '" + j.ema_schedule +
                      "' is invalid (must be one of: constant, linear)");
  in_closed01("jepa.ema_m_end", j.ema_m_end);

  const auto& o = c.optim;
  non_negative("optim.lr", o.lr);
  non_negative("optim.weight_decay", o.weight_decay);
  at_least("optim.warmup_steps", o.warmup_steps, 0);
  non_negative("optim.grad_clip", o.grad_clip);  // 0 = no clipping
  in_halfopen01("optim.beta1", o.beta1);
  in_halfopen01("optim.beta2", o.beta2);
  positive("optim.eps", o.eps);

  const auto& t = c.train;
  at_least("train.steps", t.steps, 1);
  at_least("train.batch_size", t.batch_size, 1);
  at_least("train.log_every", t.log_every, 1);
  at_least("train.save_every", t.save_every, 1);
  at_least("train.seed", t.seed, 0);
  if (!valid_device(t.device))
    throw ConfigError("config key 'train.device': value '" + t.device +
                      "' is invalid (must be one of: auto, cpu, cuda, cuda:N)");
  if (t.precision != "fp32" && t.precision != "bf16")
    throw ConfigError("config key 'train.precision': value '" + t.precision + "' is invalid (must be one of: fp32, bf16)");
  at_least("train.threads", t.threads, 0);
  if (c.monitor.min_std < 0) throw ConfigError("config key 'monitor.min_std': must be >= 0");
  if (c.monitor.min_effective_rank < 0) throw ConfigError("config key 'monitor.min_effective_rank': must be >= 0");
  at_least("train.keep_checkpoints", t.keep_checkpoints, 1);
  non_empty("train.resume", t.resume);

  const auto& d = c.data;
  non_empty("data.path", d.path);
  at_least("data.max_length", d.max_length, 3);  // [CLS] + at least one token + [SEP]
  if (d.vocab) non_empty("data.vocab", *d.vocab);
  if (d.max_docs) at_least("data.max_docs", *d.max_docs, 1);
  // model.name: a built-in kind, else a local Hugging Face model directory (whose config.json gives the
  // architecture and its max_position_embeddings; checked when the encoder is built).
  const bool builtin = m.name == "tiny" || m.name == "bert" || m.name == "distilbert";
  std::error_code ec;
  if (!builtin && !std::filesystem::is_directory(m.name, ec))
    throw ConfigError("model.name '" + m.name +
                      "' is not tiny|bert|distilbert and not a local directory (models are never downloaded)");
  if (builtin && d.max_length > m.max_positions)
    throw ConfigError("config key 'data.max_length': value " + std::to_string(d.max_length) +
                      " is out of range (must be <= model.max_positions = " + std::to_string(m.max_positions) +
                      " for the " + m.name + " encoder)");

  const auto& ds = c.dist;
  if (ds.backend != "auto" && ds.backend != "mpi" && ds.backend != "nccl")
    throw ConfigError("config key 'dist.backend': value '" + ds.backend +
                      "' is invalid (must be one of: auto, mpi, nccl)");
  positive("dist.bucket_mb", ds.bucket_mb);
  at_least("dist.check_sync_every", ds.check_sync_every, 0);
  positive("dist.timeout_s", ds.timeout_s);
  if (!valid_fault(ds.fault))
    throw ConfigError("config key 'dist.fault': value '" + ds.fault +
                      "' is invalid (must be none or <abort|hang|perturb_target>@<rank>:<step>)");

  non_empty("run.dir", c.run.dir);
}

// ---- writers ------------------------------------------------------------------------------------
// The YAML text of one value, as a scalar string; `needs_quotes` tells the emitter to double-quote it.
std::string scalar_text(int64_t v, bool& needs_quotes) {
  needs_quotes = false;
  return std::to_string(v);
}
std::string scalar_text(double v, bool& needs_quotes) {
  needs_quotes = false;
  return detail::format_double(v);
}
std::string scalar_text(bool v, bool& needs_quotes) {
  needs_quotes = false;
  return v ? "true" : "false";
}
std::string scalar_text(const std::string& v, bool& needs_quotes) {
  needs_quotes = detail::looks_like_non_string(v);
  return v;
}

}  // namespace

// ---- helpers shared with compose.cpp --------------------------------------------------------------
namespace detail {

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

}  // namespace detail

// ---- public API ---------------------------------------------------------------------------------
Config from_yaml(const YAML::Node& root) {
  Config cfg;
  if (!root.IsDefined() || root.IsNull()) {
    validate(cfg);
    return cfg;
  }
  if (!root.IsMap()) throw ConfigError("config root: value '" + detail::render(root) + "' is not a mapping");

  // Strictness first: every key must be known.
  for (const auto& kv : root) {
    if (!kv.first.IsScalar()) throw ConfigError("config key '" + detail::render(kv.first) + "' is not a string");
    const std::string sec = kv.first.Scalar();
    if (sec == "defaults") continue;  // composition directive, not part of the resolved config
    if (!is_section(sec)) unknown_key(sec);
    const YAML::Node& body = kv.second;
    if (body.IsNull()) continue;
    if (!body.IsMap()) throw ConfigError("config key '" + sec + "': value '" + detail::render(body) + "' is not a mapping");
    for (const auto& kv2 : body) {
      if (!kv2.first.IsScalar())
        throw ConfigError("config key '" + sec + "." + detail::render(kv2.first) + "' is not a string");
      const std::string dotted = sec + "." + kv2.first.Scalar();
      if (!is_key(dotted)) unknown_key(dotted);
    }
  }

  visit_fields(cfg, [&](const char* sec, const char* key, auto& field) {
    const YAML::Node body = root[sec];
    if (!body.IsDefined() || !body.IsMap()) return;
    const YAML::Node v = body[key];
    if (!v.IsDefined()) return;  // absent: keep the schema default
    read_value(std::string(sec) + "." + key, v, field);
  });

  validate(cfg);
  return cfg;
}

YAML::Node defaults_yaml() {
  // Parsed back from our own text, so that every scalar carries the same tags as a file would.
  return YAML::Load(to_yaml_string(Config{}));
}

std::string to_yaml_string(const Config& cfg) {
  YAML::Emitter em;
  em << YAML::BeginMap;
  std::string open;
  visit_fields(cfg, [&](const char* sec, const char* key, const auto& field) {
    using T = std::decay_t<decltype(field)>;
    if (open != sec) {
      if (!open.empty()) em << YAML::EndMap;
      em << YAML::Key << sec << YAML::Value << YAML::BeginMap;
      open = sec;
    }
    bool q = false;
    std::string text;
    if constexpr (std::is_same_v<T, std::optional<std::string>> || std::is_same_v<T, std::optional<int64_t>>) {
      if (!field) return;  // unset optionals are absent
      text = scalar_text(*field, q);
    } else {
      text = scalar_text(field, q);
    }
    em << YAML::Key << key << YAML::Value;
    if (q) em << YAML::DoubleQuoted;
    em << text;
  });
  if (!open.empty()) em << YAML::EndMap;
  em << YAML::EndMap;
  return std::string(em.c_str()) + "\n";
}

}  // namespace jepa::config
