#include "model/safetensors.hpp"

#include "model/safetensors_header.hpp"

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

torch::ScalarType torch_dtype(const std::string& name) {
  for (const auto& d : kDTypes)
    if (name == d.name) return d.type;
  throw std::runtime_error("safetensors: unsupported dtype " + name);  // parse_safetensors_header admits none
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
  char first8[8];
  if (file_size < 8 || !in.read(first8, 8)) fail(path, "file too short for a header");
  SafetensorsHeader header;
  uint64_t hlen = 0;
  try {
    hlen = safetensors_header_length(first8, file_size);
    std::string h(hlen, '\0');
    in.read(h.data(), static_cast<std::streamsize>(hlen));
    header = parse_safetensors_header(h, file_size - 8 - hlen);
  } catch (const std::runtime_error& e) {
    fail(path, e.what());
  }
  if (metadata)
    for (const auto& [k, v] : header.metadata) (*metadata)[k] = v;
  TensorMap out;
  for (const auto& e : header.tensors) {
    auto t = torch::empty(e.shape, torch::TensorOptions().dtype(torch_dtype(e.dtype)));
    in.seekg(static_cast<std::streamoff>(8 + hlen + e.begin));
    const uint64_t nbytes = e.end - e.begin;
    if (nbytes && !in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(nbytes)))
      fail(path, "tensor '" + e.name + "' could not be read (file truncated?)");
    out[e.name] = t;
  }
  return out;
}

}  // namespace jepa::model
