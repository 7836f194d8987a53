#pragma once
// The safetensors header, validated without LibTorch: what load_safetensors trusts before it allocates or reads a
// byte of tensor data. Kept free of torch so the fuzz target (tests/fuzz/fuzz_safetensors.cpp) runs it alone.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace jepa::model {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // one of safetensors_dtypes()
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range within the data section; end - begin = numel * element size
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> tensors;  // in the header's key order
  std::map<std::string, std::string> metadata;
};

// The dtype names we read and write, with their element sizes.
const std::map<std::string, size_t>& safetensors_dtypes();

// The 8-byte little-endian header length, checked against the file size. Throws std::runtime_error.
uint64_t safetensors_header_length(const char first8[8], uint64_t file_size);

// Parses and validates the JSON header of a file whose data section holds `data_size` bytes: every entry has a
// known dtype, a shape of non-negative dimensions whose byte size does not overflow and equals its offsets' span,
// offsets inside the data section, no two tensors overlapping. Throws std::runtime_error with one line (no path).
SafetensorsHeader parse_safetensors_header(const std::string& json, uint64_t data_size);

}  // namespace jepa::model
