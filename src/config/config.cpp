// The public conversions: composed YAML tree -> typed, validated Config (strict: unknown keys and wrong types are
// errors), and Config -> exact YAML text. Both walk the schema's one list of fields, visit_fields() (schema.hpp);
// the value rules live in values.cpp, the range checks in validate.cpp.
#include "config/config.hpp"

#include <cstdio>
#include <optional>
#include <string>
#include <type_traits>

#include <yaml-cpp/yaml.h>

#include "config/detail.hpp"
#include "config/schema.hpp"

namespace jepa::config {

namespace {
std::string escape_control(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else out += static_cast<char>(c);
  }
  return out;
}
}  // namespace

ConfigError::ConfigError(const std::string& what) : std::runtime_error(escape_control(what)) {}

Config from_yaml(const YAML::Node& root) {
  Config cfg;
  if (!root.IsDefined() || root.IsNull()) {
    detail::validate(cfg);
    return cfg;
  }
  if (!root.IsMap()) throw ConfigError("config root: value '" + detail::render(root) + "' is not a mapping");

  // Strictness first: every key must be known.
  for (const auto& kv : root) {
    if (!kv.first.IsScalar()) throw ConfigError("config key '" + detail::render(kv.first) + "' is not a string");
    const std::string sec = kv.first.Scalar();
    if (sec == "defaults") continue;  // composition directive, not part of the resolved config
    if (!detail::is_section(sec)) detail::unknown_key(sec);
    const YAML::Node& body = kv.second;
    if (body.IsNull()) continue;
    if (!body.IsMap()) throw ConfigError("config key '" + sec + "': value '" + detail::render(body) + "' is not a mapping");
    for (const auto& kv2 : body) {
      if (!kv2.first.IsScalar())
        throw ConfigError("config key '" + sec + "." + detail::render(kv2.first) + "' is not a string");
      const std::string dotted = sec + "." + kv2.first.Scalar();
      if (!detail::is_key(dotted)) detail::unknown_key(dotted);
    }
  }

  detail::visit_fields(cfg, [&](const char* sec, const char* key, auto& field) {
    const YAML::Node body = root[sec];
    if (!body.IsDefined() || !body.IsMap()) return;
    const YAML::Node v = body[key];
    if (!v.IsDefined()) return;  // absent: keep the schema default
    detail::read_value(std::string(sec) + "." + key, v, field);
  });

  detail::validate(cfg);
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
  detail::visit_fields(cfg, [&](const char* sec, const char* key, const auto& field) {
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
      text = detail::scalar_text(*field, q);
    } else {
      text = detail::scalar_text(field, q);
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
