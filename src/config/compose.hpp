#pragma once
// Hydra-style composition: a primary YAML file with a `defaults:` list, config groups in sibling folders,
// and command-line overrides `a.b=v`, `+a.b=v`, `++a.b=v`, `~a.b`, `group=option`.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace jepa::config {

// Composes `primary` (a file path) with `overrides`, on top of the schema defaults.
// Throws ConfigError (one line, names file/key) for a missing file, bad YAML, unknown group option,
// override of a missing key, `+` of an existing key, `~` of a missing key, malformed override.
YAML::Node compose(const std::string& primary, const std::vector<std::string>& overrides);

// No primary file: the schema defaults with key overrides applied (a.b=v, +a.b=v, ++a.b=v, ~a.b);
// there is no config directory, so `group=option` is an ordinary key override here.
YAML::Node compose_defaults(const std::vector<std::string>& overrides);

}  // namespace jepa::config
