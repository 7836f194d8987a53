// Test-only driver for tests/golden/test_masker_distribution.py: prints the training masker's masks, one sequence per
// line as 0/1 characters, for `N` sequences [CLS] body [SEP] of each total length given.
//   jepa_golden_masker_dump N SEED MASK_RATIO MEAN_SPAN LEN [LEN...]
#include <cstdio>
#include <string>
#include <vector>

#include "data/masker.hpp"

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: masker_dump N SEED MASK_RATIO MEAN_SPAN LEN [LEN...]\n");
    return 2;
  }
  const long n_seqs = std::stol(argv[1]);
  const auto seed = std::stoull(argv[2]);
  const jepa::data::MaskParams params{std::stod(argv[3]), std::stod(argv[4])};
  const jepa::data::SpecialIds special;
  uint64_t index = 0;  // every sequence its own RNG, as in training (seed, epoch 0, document index)
  for (int a = 5; a < argc; ++a) {
    const int len = std::stoi(argv[a]);
    std::vector<int32_t> ids(static_cast<size_t>(len), 2000);
    ids.front() = special.cls;
    ids.back() = special.sep;
    std::string line(static_cast<size_t>(len), '0');
    for (long s = 0; s < n_seqs; ++s, ++index) {
      auto rng = jepa::data::mask_rng(seed, 0, index);
      const auto m = jepa::data::span_mask(ids, special, params, rng);
      for (int i = 0; i < len; ++i) line[static_cast<size_t>(i)] = m[static_cast<size_t>(i)] ? '1' : '0';
      std::puts(line.c_str());
    }
  }
  return 0;
}
