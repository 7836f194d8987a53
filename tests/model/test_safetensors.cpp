#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "model/safetensors.hpp"

namespace fs = std::filesystem;
using namespace jepa::model;

namespace {
fs::path tmpdir() {
  auto d = fs::path(JEPA_BUILD_DIR) / "test_tmp" / "safetensors";
  fs::create_directories(d);
  return d;
}
void expect_error(const fs::path& p, const std::string& needle) {
  try {
    load_safetensors(p.string());
    FAIL() << "no error for " << p;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(Safetensors, RoundTripDtypesShapesMetadata) {
  const auto p = tmpdir() / "rt.safetensors";
  TensorMap in{{"a.weight", torch::randn({3, 5})},
               {"b", torch::arange(7, torch::kLong)},
               {"c", torch::tensor({1, 0, 1}, torch::kUInt8)},
               {"d", torch::randn({2, 2}).to(torch::kBFloat16)},
               {"scalar", torch::tensor(3.5)},
               {"empty", torch::empty({0, 4})}};
  save_safetensors(p.string(), in, {{"step", "12"}});
  std::map<std::string, std::string> meta;
  auto out = load_safetensors(p.string(), &meta);
  EXPECT_EQ(meta.at("format"), "pt");
  EXPECT_EQ(meta.at("step"), "12");
  ASSERT_EQ(out.size(), in.size());
  for (const auto& [k, v] : in) {
    ASSERT_TRUE(out.count(k)) << k;
    EXPECT_EQ(out[k].scalar_type(), v.scalar_type()) << k;
    EXPECT_TRUE(torch::equal(out[k], v)) << k;
  }
  // Header is 8-byte aligned so the data section starts aligned.
  std::ifstream f(p, std::ios::binary);
  uint64_t hlen = 0;
  f.read(reinterpret_cast<char*>(&hlen), 8);
  EXPECT_EQ(hlen % 8, 0u);
}

TEST(Safetensors, CorruptFilesGiveClearErrors) {
  const auto d = tmpdir();
  save_safetensors((d / "good.safetensors").string(), {{"w", torch::randn({64, 64})}});
  const auto size = fs::file_size(d / "good.safetensors");

  fs::copy_file(d / "good.safetensors", d / "trunc.safetensors", fs::copy_options::overwrite_existing);
  fs::resize_file(d / "trunc.safetensors", size - 100);
  expect_error(d / "trunc.safetensors", "truncated");

  std::ofstream(d / "short.safetensors") << "abc";
  expect_error(d / "short.safetensors", "too short");

  {
    std::ofstream f(d / "badjson.safetensors", std::ios::binary);
    const std::string h = "{not json}";
    const uint64_t n = h.size();
    f.write(reinterpret_cast<const char*>(&n), 8);
    f << h;
  }
  expect_error(d / "badjson.safetensors", "JSON");

  {
    std::ofstream f(d / "huge.safetensors", std::ios::binary);
    const uint64_t n = 1ull << 40;
    f.write(reinterpret_cast<const char*>(&n), 8);
  }
  expect_error(d / "huge.safetensors", "exceeds");
  expect_error(d / "missing.safetensors", "cannot open");
}

// Header entries of the wrong JSON type, or a shape whose element count overflows, are one clear error naming the
// file and the tensor (not a raw JSON exception, not an overflowed size that passes the size check).
TEST(Safetensors, MalformedHeaderEntriesGiveClearErrors) {
  const auto d = tmpdir();
  auto craft = [&](const std::string& name, const std::string& header) {
    const auto p = d / name;
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    const uint64_t n = header.size();
    f.write(reinterpret_cast<const char*>(&n), 8);
    f << header << std::string(16, '\0');  // a small data section
    return p;
  };
  auto expect = [&](const fs::path& p, const std::string& needle) {
    SCOPED_TRACE(p.string());
    expect_error(p, needle);
    try {
      load_safetensors(p.string());
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("'bad'"), std::string::npos) << "tensor not named: " << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    } catch (...) {
    }
  };
  expect(craft("dtype_num.safetensors", R"({"bad":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})"), "dtype");
  expect(craft("shape_str.safetensors", R"({"bad":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})"), "shape");
  expect(craft("shape_float.safetensors", R"({"bad":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})"),
         "shape");
  expect(craft("offs_str.safetensors", R"({"bad":{"dtype":"F32","shape":[2],"data_offsets":"0,8"}})"),
         "data_offsets");
  expect(craft("offs_neg.safetensors", R"({"bad":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})"),
         "data_offsets");
  expect(craft("overflow.safetensors",
               R"({"bad":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}})"),
         "too large");
  expect(craft("overflow_bytes.safetensors",
               R"({"bad":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}})"),
         "too large");
}
