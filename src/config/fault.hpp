#pragma once
// dist.fault: the test-only fault injection spec, parsed in one place for validation and for the trainer.
#include <cstdint>
#include <string>

#include "config/config.hpp"

namespace jepa::config {

// `kind` at global step `step` on rank `rank`; kind "none" (rank and step -1) injects nothing.
struct Fault {
  std::string kind = "none";  // none | abort | hang | perturb_target | nan_loss
  int rank = -1;
  int64_t step = -1;
};

// "none" or "<abort|hang|perturb_target|nan_loss>@<rank>:<step>" with rank and step unsigned decimal integers.
// Anything else is a ConfigError: "config key 'dist.fault': value '<spec>' is invalid (must be none or
// <abort|hang|perturb_target|nan_loss>@<rank>:<step>)".
Fault parse_fault(const std::string& spec);

}  // namespace jepa::config
