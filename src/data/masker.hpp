#pragma once
// Span masking of one sequence (design.md §1.2). The mask depends only on the ids and the RNG handed in;
// callers seed that RNG from (seed, epoch, sample index), so any rank count and batch order give the same mask.
#include <cstdint>
#include <vector>

#include "data/rng.hpp"
#include "data/tokenizer.hpp"

namespace jepa::data {

struct MaskParams {
  double mask_ratio = 0.3;
  double mean_span_len = 5;
};

// ids: the unpadded sequence ([CLS] ... [SEP]). Returns 1 at masked positions. CLS/SEP/PAD ids are never masked.
std::vector<uint8_t> span_mask(const std::vector<int32_t>& ids, const SpecialIds& special,
                               const MaskParams& params, Rng& rng);

// How many positions the masker aims for: max(1, round_half_even(n * mask_ratio)), as Python's round().
int64_t mask_target(int64_t n, double mask_ratio);

// One span length draw: min(n, max(1, floor(Exp(rate = 1/max(1, mean))))).
int64_t draw_span_length(double mean_span_len, int64_t n, Rng& rng);

// The RNG of sample `index` in `epoch`.
inline Rng mask_rng(uint64_t seed, uint64_t epoch, uint64_t index) {
  return Rng(derive_seed({0x6d61736bULL /* "mask" */, seed, epoch, index}));
}

}  // namespace jepa::data
