#pragma once
// Internal: strict value handling shared by the config library's files (config.cpp, schema.cpp, compose.cpp);
// not part of the public config API. All of it is defined in values.cpp.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace YAML { class Node; }

namespace jepa::config::detail {

size_t edit_distance(const std::string& a, const std::string& b);
// The candidate with the smallest edit distance to `key` (first one on ties); "" if there are none.
std::string closest(const std::string& key, const std::vector<std::string>& candidates);
// One-line text of a node for messages: scalars verbatim (quoted ones in quotes), collections in flow style.
std::string render(const YAML::Node& v);

// Strict scalar parsers (YAML 1.2 core schema, plus the YAML 1.1 yes/no/on/off booleans).
std::optional<int64_t> parse_int(const std::string& s);       // decimal only, no overflow
std::optional<double> parse_number(const std::string& s);     // ints, decimal floats, .inf, .nan
std::optional<bool> parse_bool(const std::string& s);
// True if a plain scalar with this text would be read as something other than a string.
bool looks_like_non_string(const std::string& s);
// Shortest text that reads back to exactly x, always recognisable as a float (5.0, 1.0e-08).
std::string format_double(double x);

// Readers: one YAML value into one schema field of that type; a wrong type is a ConfigError naming `dotted`,
// the value and the expected type. One overload per field type that the schema uses.
void read_value(const std::string& dotted, const YAML::Node& v, int64_t& out);
void read_value(const std::string& dotted, const YAML::Node& v, double& out);
void read_value(const std::string& dotted, const YAML::Node& v, bool& out);
void read_value(const std::string& dotted, const YAML::Node& v, std::string& out);
void read_value(const std::string& dotted, const YAML::Node& v, std::optional<int64_t>& out);      // null = unset
void read_value(const std::string& dotted, const YAML::Node& v, std::optional<std::string>& out);  // null = unset

// Writers: the YAML text of one value, as a scalar string; `needs_quotes` tells the emitter to double-quote it.
std::string scalar_text(int64_t v, bool& needs_quotes);
std::string scalar_text(double v, bool& needs_quotes);
std::string scalar_text(bool v, bool& needs_quotes);
std::string scalar_text(const std::string& v, bool& needs_quotes);

}  // namespace jepa::config::detail
