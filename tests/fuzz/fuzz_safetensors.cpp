// Fuzz target: the safetensors header (length prefix + JSON) that load_safetensors validates before it allocates
// or reads tensor data. Input: the file's bytes. Whatever the input, parsing either throws std::runtime_error with
// one line or returns entries that are safe to read: known dtype, byte size = numel * element size, inside the data
// section, no overlaps (re-checked here independently of the parser).
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "model/safetensors_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jepa;
  if (size < 8) return 0;  // the loader rejects these before parsing ("file too short for a header")
  try {
    const uint64_t hlen = model::safetensors_header_length(reinterpret_cast<const char*>(data), size);
    const std::string json(reinterpret_cast<const char*>(data) + 8, hlen);
    const uint64_t data_size = size - 8 - hlen;
    const auto header = model::parse_safetensors_header(json, data_size);
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const auto& t : header.tensors) {
      const auto dt = model::safetensors_dtypes().find(t.dtype);
      fuzz::require(dt != model::safetensors_dtypes().end(), "unknown dtype accepted");
      unsigned __int128 bytes = dt->second;
      for (auto d : t.shape) {
        fuzz::require(d >= 0, "negative dimension accepted");
        bytes *= static_cast<unsigned __int128>(d);
        if (bytes > data_size) break;
      }
      fuzz::require(t.begin <= t.end && t.end <= data_size, "offsets outside the data section accepted");
      fuzz::require(bytes == t.end - t.begin, "byte size that does not match shape and dtype accepted");
      ranges.emplace_back(t.begin, t.end);
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i) fuzz::require(ranges[i].first >= ranges[i - 1].second, "overlap accepted");
  } catch (const std::runtime_error& e) {
    fuzz::require_one_line(e.what(), "safetensors");
  }
  return 0;
}
