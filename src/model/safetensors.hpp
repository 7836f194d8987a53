#pragma once
// safetensors files: u64 little-endian header length | JSON header | raw little-endian data.
// Our own reader/writer (the format is tiny); every offset, dtype and shape is validated on load.
#include <map>
#include <string>
#include <vector>

#include <torch/types.h>

namespace jepa::model {

using TensorMap = std::map<std::string, torch::Tensor>;

// Writes CPU-contiguous copies of `tensors`; metadata always includes "format": "pt" (transformers requires it).
void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Throws std::runtime_error with one line naming the file and the problem (truncated, bad header, overlap, ...).
TensorMap load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata = nullptr);

}  // namespace jepa::model
