// The schema's key list (sections and dotted keys, in output order), derived once from visit_fields() so that
// strict key checking and "did you mean" suggestions always agree with the fields that exist.
#include "config/schema.hpp"

#include <algorithm>
#include <vector>

#include "config/detail.hpp"

namespace jepa::config::detail {

namespace {

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

}  // namespace

bool is_section(const std::string& s) {
  const auto& v = schema_keys().sections;
  return std::find(v.begin(), v.end(), s) != v.end();
}
bool is_key(const std::string& dotted) {
  const auto& v = schema_keys().dotted;
  return std::find(v.begin(), v.end(), dotted) != v.end();
}

void unknown_key(const std::string& dotted) {
  std::vector<std::string> candidates = schema_keys().sections;
  for (const auto& d : schema_keys().dotted) candidates.push_back(d);
  throw ConfigError("unknown config key '" + dotted + "' (did you mean '" + closest(dotted, candidates) + "'?)");
}

}  // namespace jepa::config::detail
