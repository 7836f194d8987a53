#include "data/masker.hpp"

#include <algorithm>
#include <cmath>

namespace jepa::data {

int64_t draw_span_length(double mean_span_len, int64_t n, Rng& rng) {
  const double rate = 1.0 / std::max(1.0, mean_span_len);
  const auto len = static_cast<int64_t>(std::floor(rng.exponential(rate)));
  return std::min(n, std::max<int64_t>(1, len));
}

int64_t mask_target(int64_t n, double mask_ratio) {
  // nearbyint rounds half to even in the default rounding mode, like Python's round().
  return std::max<int64_t>(1, static_cast<int64_t>(std::nearbyint(static_cast<double>(n) * mask_ratio)));
}

std::vector<uint8_t> span_mask(const std::vector<int32_t>& ids, const SpecialIds& special,
                               const MaskParams& params, Rng& rng) {
  const auto n = static_cast<int64_t>(ids.size());
  std::vector<uint8_t> mask(ids.size(), 0);
  if (n == 0) return mask;

  auto is_special = [&](int64_t i) {
    const int32_t t = ids[static_cast<size_t>(i)];
    return t == special.cls || t == special.sep || t == special.pad;
  };
  const int64_t target = mask_target(n, params.mask_ratio);
  int64_t masked = 0, attempts = 0;
  const int64_t max_attempts = 4 * n;
  while (masked < target && attempts < max_attempts) {
    ++attempts;
    const int64_t span = draw_span_length(params.mean_span_len, n, rng);
    const auto start = static_cast<int64_t>(rng.below(static_cast<uint64_t>(n)));
    const int64_t end = std::min(n, start + span);
    for (int64_t i = start; i < end; ++i) {
      if (!is_special(i) && !mask[static_cast<size_t>(i)]) {
        mask[static_cast<size_t>(i)] = 1;
        ++masked;
      }
    }
  }
  return mask;
}

}  // namespace jepa::data
