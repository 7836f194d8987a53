#include "config/compare.hpp"

#include <yaml-cpp/yaml.h>

namespace jepa::config {
namespace {

std::string value_of(const YAML::Node& section, const std::string& key) {
  const auto v = section.IsMap() ? section[key] : YAML::Node();
  return v.IsDefined() ? YAML::Dump(v) : std::string("(unset)");
}

// The first key of `a` (section by section) whose value differs in `b`.
std::optional<std::pair<std::string, std::string>> first_in(const YAML::Node& a, const YAML::Node& b, bool a_first) {
  for (const auto& sec : a) {
    const auto name = sec.first.as<std::string>();
    const auto other = b[name];
    for (const auto& kv : sec.second) {
      const auto key = kv.first.as<std::string>();
      const auto mine = YAML::Dump(kv.second), theirs = value_of(other, key);
      if (mine == theirs) continue;
      const auto dotted = name + "." + key + ": ";
      return a_first ? std::make_pair(dotted + mine, dotted + theirs) : std::make_pair(dotted + theirs, dotted + mine);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> first_difference(const std::string& a, const std::string& b) {
  const auto ya = YAML::Load(a), yb = YAML::Load(b);
  if (auto d = first_in(ya, yb, true)) return d;
  return first_in(yb, ya, false);  // keys only b has
}

}  // namespace jepa::config
