// dist.fault parsing. Strict (digits only, no signs or spaces, at most 11 digits each) because a typo in a
// fault spec must fail at config time, not silently inject nothing.
#include "config/fault.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>

namespace jepa::config {

Fault parse_fault(const std::string& spec) {
  Fault f;
  if (spec == "none") return f;
  const auto invalid = [&] {
    return ConfigError("config key 'dist.fault': value '" + spec +
                       "' is invalid (must be none or <abort|hang|perturb_target|nan_loss>@<rank>:<step>)");
  };
  const auto at = spec.find('@');
  if (at == std::string::npos) throw invalid();
  const auto colon = spec.find(':', at);
  if (colon == std::string::npos) throw invalid();
  const std::string kind = spec.substr(0, at), rank = spec.substr(at + 1, colon - at - 1),
                    step = spec.substr(colon + 1);
  // Under 12 digits: always fits int64_t, so strtoll below cannot overflow.
  const auto digits = [](const std::string& s) {
    return !s.empty() && s.size() < 12 && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  };
  if (!(kind == "abort" || kind == "hang" || kind == "perturb_target" || kind == "nan_loss") || !digits(rank) || !digits(step))
    throw invalid();
  const long long r = std::strtoll(rank.c_str(), nullptr, 10);
  if (r > std::numeric_limits<int>::max()) throw invalid();  // a rank is an int (MPI)
  f.kind = kind;
  f.rank = static_cast<int>(r);
  f.step = std::strtoll(step.c_str(), nullptr, 10);
  return f;
}

}  // namespace jepa::config
