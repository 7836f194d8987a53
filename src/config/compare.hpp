#pragma once
// Comparing resolved configurations (to_yaml_string's two-level `section: {key: value}` text), e.g. across ranks.
#include <optional>
#include <string>
#include <utility>

namespace jepa::config {

// The first setting, in `a`'s order, on which two resolved configs differ: ("section.key: value in a",
// "section.key: value in b"), with "(unset)" for a side that lacks it; nullopt when they agree.
std::optional<std::pair<std::string, std::string>> first_difference(const std::string& a, const std::string& b);

}  // namespace jepa::config
