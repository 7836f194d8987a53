#include "model/safetensors_header.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace jepa::model {

const std::map<std::string, size_t>& safetensors_dtypes() {
  static const std::map<std::string, size_t> kSizes = {{"F32", 4}, {"F64", 8}, {"F16", 2}, {"BF16", 2}, {"I64", 8},
                                                        {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},   {"BOOL", 1}};
  return kSizes;
}

uint64_t safetensors_header_length(const char first8[8], uint64_t file_size) {
  uint64_t hlen = 0;
  std::memcpy(&hlen, first8, 8);  // x86-64 / aarch64: little endian
  if (hlen > file_size - 8 || hlen > (100u << 20))
    throw std::runtime_error("header length " + std::to_string(hlen) + " exceeds file size");
  return hlen;
}

SafetensorsHeader parse_safetensors_header(const std::string& json, uint64_t data_size) {
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(json);
  } catch (const std::exception&) {
    throw std::runtime_error("header is not valid JSON");
  }
  if (!header.is_object()) throw std::runtime_error("header is not a JSON object");
  SafetensorsHeader out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) throw std::runtime_error("__metadata__ is not a JSON object");
      for (auto m = it->begin(); m != it->end(); ++m) out.metadata[m.key()] = m->is_string() ? m->get<std::string>() : m->dump();
      continue;
    }
    const std::string tensor = "tensor '" + it.key() + "' ";
    auto fail = [&](const std::string& what) { throw std::runtime_error(tensor + what); };
    const auto& e = *it;
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
      fail("lacks dtype/shape/data_offsets");
    if (!e["dtype"].is_string()) fail("has a dtype that is not a string");
    SafetensorsEntry entry;
    entry.name = it.key();
    entry.dtype = e["dtype"].get<std::string>();
    const auto size = safetensors_dtypes().find(entry.dtype);
    if (size == safetensors_dtypes().end()) fail("has unsupported dtype " + entry.dtype);
    const auto& js = e["shape"];
    if (!js.is_array()) fail("has a shape that is not an array of integers");
    for (const auto& v : js) {
      if (!v.is_number_integer()) fail("has a shape that is not an array of integers");
      if (v.is_number_unsigned() ? v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX) : v.get<int64_t>() < 0)
        fail("has a negative or too large dimension");
      entry.shape.push_back(v.get<int64_t>());
    }
    const auto& jo = e["data_offsets"];
    if (!jo.is_array() || jo.size() != 2 || !jo[0].is_number_unsigned() || !jo[1].is_number_unsigned())
      fail("has data_offsets that are not two non-negative integers");
    entry.begin = jo[0].get<uint64_t>();
    entry.end = jo[1].get<uint64_t>();
    if (entry.begin > entry.end || entry.end > data_size) fail("data_offsets out of range (file truncated?)");
    int64_t numel = 1;
    for (auto s : entry.shape)
      if (__builtin_mul_overflow(numel, s, &numel)) fail("shape is too large (element count overflows)");
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(numel), static_cast<uint64_t>(size->second), &nbytes))
      fail("shape is too large (byte size overflows)");
    if (entry.end - entry.begin != nbytes) fail("byte size does not match its shape and dtype");
    out.tensors.push_back(std::move(entry));
  }
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& t : out.tensors) ranges.emplace_back(t.begin, t.end);
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second) throw std::runtime_error("tensors overlap in the data section");
  return out;
}

}  // namespace jepa::model
