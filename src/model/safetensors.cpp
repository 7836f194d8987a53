#include "model/safetensors.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace jepa::model {
namespace {

struct DType {
  const char* name;
  torch::ScalarType type;
};
const DType kDTypes[] = {{"F32", torch::kFloat32}, {"F64", torch::kFloat64}, {"F16", torch::kFloat16},
                         {"BF16", torch::kBFloat16}, {"I64", torch::kInt64},  {"I32", torch::kInt32},
                         {"I16", torch::kInt16},     {"I8", torch::kInt8},    {"U8", torch::kUInt8},
                         {"BOOL", torch::kBool}};

const char* dtype_name(torch::ScalarType t) {
  for (const auto& d : kDTypes)
    if (d.type == t) return d.name;
  throw std::runtime_error(std::string("safetensors: unsupported dtype ") + c10::toString(t));
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("safetensors '" + path + "': " + what);
}

}  // namespace

void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header;
  auto meta = metadata;
  meta["format"] = "pt";
  header["__metadata__"] = meta;
  std::vector<torch::Tensor> data;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    auto c = t.detach().to(torch::kCPU).contiguous();
    const uint64_t nbytes = static_cast<uint64_t>(c.numel()) * c.element_size();
    header[name] = {{"dtype", dtype_name(c.scalar_type())}, {"shape", c.sizes().vec()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    data.push_back(c);
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // data starts 8-byte aligned
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(path, "cannot open for writing");
  const uint64_t hlen = h.size();
  out.write(reinterpret_cast<const char*>(&hlen), 8);  // x86-64 / aarch64: little endian
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  for (const auto& c : data)
    out.write(static_cast<const char*>(c.data_ptr()), static_cast<std::streamsize>(c.numel() * c.element_size()));
  out.flush();
  if (!out) fail(path, "write failed (disk full?)");
}

TensorMap load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail(path, "cannot open (missing file?)");
  const auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  uint64_t hlen = 0;
  if (file_size < 8 || !in.read(reinterpret_cast<char*>(&hlen), 8)) fail(path, "file too short for a header");
  if (hlen > file_size - 8 || hlen > (100u << 20)) fail(path, "header length " + std::to_string(hlen) + " exceeds file size");
  std::string h(hlen, '\0');
  in.read(h.data(), static_cast<std::streamsize>(hlen));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(h);
  } catch (const std::exception& e) {
    fail(path, "header is not valid JSON");
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");
  const uint64_t data_size = file_size - 8 - hlen;
  TensorMap out;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) fail(path, "__metadata__ is not a JSON object");
      if (metadata)
        for (auto m = it->begin(); m != it->end(); ++m) (*metadata)[m.key()] = m->is_string() ? m->get<std::string>() : m->dump();
      continue;
    }
    const auto& e = *it;
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
      fail(path, "tensor '" + it.key() + "' lacks dtype/shape/data_offsets");
    if (!e["dtype"].is_string()) fail(path, "tensor '" + it.key() + "' has a dtype that is not a string");
    const std::string dt = e["dtype"].get<std::string>();
    const DType* d = nullptr;
    for (const auto& k : kDTypes)
      if (dt == k.name) d = &k;
    if (!d) fail(path, "tensor '" + it.key() + "' has unsupported dtype " + dt);
    const auto& js = e["shape"];
    if (!js.is_array()) fail(path, "tensor '" + it.key() + "' has a shape that is not an array of integers");
    std::vector<int64_t> shape;
    for (const auto& v : js) {
      if (!v.is_number_integer()) fail(path, "tensor '" + it.key() + "' has a shape that is not an array of integers");
      if (v.is_number_unsigned() ? v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX) : v.get<int64_t>() < 0)
        fail(path, "tensor '" + it.key() + "' has a negative or too large dimension");
      shape.push_back(v.get<int64_t>());
    }
    const auto& jo = e["data_offsets"];
    if (!jo.is_array() || jo.size() != 2 || !jo[0].is_number_unsigned() || !jo[1].is_number_unsigned())
      fail(path, "tensor '" + it.key() + "' has data_offsets that are not two non-negative integers");
    const std::vector<uint64_t> offs = {jo[0].get<uint64_t>(), jo[1].get<uint64_t>()};
    if (offs[0] > offs[1] || offs[1] > data_size)
      fail(path, "tensor '" + it.key() + "' data_offsets out of range (file truncated?)");
    int64_t numel = 1;
    for (auto s : shape)
      if (__builtin_mul_overflow(numel, s, &numel))
        fail(path, "tensor '" + it.key() + "' shape is too large (element count overflows)");
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(numel), static_cast<uint64_t>(c10::elementSize(d->type)), &nbytes))
      fail(path, "tensor '" + it.key() + "' shape is too large (byte size overflows)");
    if (offs[1] - offs[0] != nbytes)
      fail(path, "tensor '" + it.key() + "' byte size does not match its shape and dtype");
    auto t = torch::empty(shape, torch::TensorOptions().dtype(d->type));
    in.seekg(static_cast<std::streamoff>(8 + hlen + offs[0]));
    if (nbytes && !in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(nbytes)))
      fail(path, "tensor '" + it.key() + "' could not be read (file truncated?)");
    ranges.emplace_back(offs[0], offs[1]);
    out[it.key()] = t;
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second) fail(path, "tensors overlap in the data section");
  return out;
}

}  // namespace jepa::model
