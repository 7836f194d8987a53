// Fuzz target: config composition (design.md §7) -- the YAML primary file with its `defaults:` list and config
// groups, the command-line override parser (a.b=v, +a.b=v, ++a.b=v, ~a.b, group=option) and the typed view.
// Input: NUL-separated parts; the first byte selects the mode.
//   even: part 1 is a primary YAML file (next to a config group model/ with options tiny and big), parts 2.. are
//         overrides;  odd: every part is an override of the schema defaults (no file).
// Invariants: a bad config throws ConfigError with one line (any other exception is a finding); a good one
// survives the round trip resolved YAML -> Config -> YAML unchanged (what run.dir/config.yaml relies on).
#include <fstream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/compose.hpp"
#include "config/config.hpp"
#include "fuzz_input.hpp"

namespace {

const std::filesystem::path& config_dir() {
  static const auto dir = [] {
    const auto d = jepa::fuzz::scratch() / "configs";
    std::filesystem::create_directories(d / "model");
    std::ofstream(d / "model" / "tiny.yaml") << "name: tiny\ndim: 64\nlayers: 2\n";
    std::ofstream(d / "model" / "big.yaml") << "dim: 512\nheads: 8\n";
    return d;
  }();
  return dir;
}

std::vector<std::string> split_nul(const std::string& s) {
  std::vector<std::string> parts(1);
  for (char c : s) {
    if (c == '\0') parts.emplace_back();
    else parts.back().push_back(c);
  }
  return parts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jepa;
  if (size == 0) return 0;
  const bool with_file = data[0] % 2 == 0;
  auto parts = split_nul(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    YAML::Node node;
    if (with_file) {
      const auto primary = config_dir() / "primary.yaml";
      std::ofstream(primary, std::ios::binary | std::ios::trunc) << parts[0];
      node = config::compose(primary.string(), std::vector<std::string>(parts.begin() + 1, parts.end()));
    } else {
      node = config::compose_defaults(parts);
    }
    const auto cfg = config::from_yaml(node);
    const auto text = config::to_yaml_string(cfg);
    const auto again = config::to_yaml_string(config::from_yaml(YAML::Load(text)));
    fuzz::require(text == again, "resolved config does not survive YAML -> Config -> YAML");
  } catch (const config::ConfigError& e) {
    fuzz::require_one_line(e.what(), "config");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "config: an error that is not a ConfigError: %s\n", e.what());
    std::abort();
  }
  return 0;
}
