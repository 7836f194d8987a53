// Fuzz target: the HDF5 corpus validation of CorpusReader (design.md §3). The input's bytes decide what a corpus
// file holds -- whether /tokens and /offsets exist, their types, ranks and values, and each root attribute's
// presence, type and value -- and the target writes that file with the HDF5 library, then opens and reads it.
// (Structured: random bytes in an HDF5 file exercise the HDF5 library's own parser, not our validation.)
// Invariants: opening either throws std::runtime_error with one line, or the file is a consistent corpus: every
// document reads, doc(i) has offsets[i+1] - offsets[i] tokens, a batched read equals the single reads, and the
// document sizes add up to n_tokens.
#include <hdf5.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "data/corpus.hpp"
#include "fuzz_input.hpp"

namespace {

using jepa::fuzz::Bytes;

hid_t pick_int_type(Bytes& in) {
  switch (in.u8() % 7) {
    case 0: return H5T_NATIVE_INT32;
    case 1: return H5T_NATIVE_INT64;
    case 2: return H5T_NATIVE_UINT16;
    case 3: return H5T_NATIVE_UINT64;
    case 4: return H5T_NATIVE_INT8;
    case 5: return H5T_NATIVE_FLOAT;
    default: return H5T_NATIVE_INT16;
  }
}

// A dataset of `name` with values from the input; `monotone` builds offsets-like cumulative sums.
void write_dataset(hid_t file, const char* name, Bytes& in, bool monotone) {
  const hid_t type = pick_int_type(in);
  const int rank = in.flag(8) ? 2 : 1;
  const hsize_t n = in.u8() % 48;
  hsize_t dims[2] = {n, 2};
  std::vector<int64_t> v(static_cast<size_t>(n * (rank == 2 ? 2 : 1)));
  int64_t acc = 0;
  for (auto& x : v) {
    if (monotone && !in.flag(5)) {
      acc += in.u8() % 6;
      x = acc;
    } else {
      x = in.small_or_any();
    }
  }
  if (monotone && !v.empty() && !in.flag(5)) v[0] = 0;
  const hid_t space = H5Screate_simple(rank, dims, nullptr);
  const hid_t dset = H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (!v.empty()) H5Dwrite(dset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());  // HDF5 converts
  H5Dclose(dset);
  H5Sclose(space);
}

void write_attribute(hid_t file, const char* name, Bytes& in, int64_t sensible) {
  const uint8_t kind = in.u8() % 10;
  if (kind == 0) return;  // missing
  if (kind <= 6) {        // an integer scalar: usually the sensible value, sometimes any
    const int64_t v = kind <= 4 ? sensible : in.small_or_any();
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t type = kind == 6 ? H5T_NATIVE_INT32 : H5T_NATIVE_INT64;
    const hid_t a = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT64, &v);
    H5Aclose(a);
    H5Sclose(space);
    return;
  }
  if (kind <= 8) {  // a string (fixed or variable length)
    const std::string s = in.str(24);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t type = H5Tcopy(H5T_C_S1);
    if (kind == 7) {
      H5Tset_size(type, H5T_VARIABLE);
      const hid_t a = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
      const char* p = s.c_str();
      H5Awrite(a, type, &p);
      H5Aclose(a);
    } else {
      H5Tset_size(type, s.size() + 1);
      const hid_t a = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
      H5Awrite(a, type, s.c_str());
      H5Aclose(a);
    }
    H5Tclose(type);
    H5Sclose(space);
    return;
  }
  const hsize_t two = 2;  // a 1-d array where a scalar is expected
  const double v[2] = {1.5, -2.0};
  const hid_t space = H5Screate_simple(1, &two, nullptr);
  const hid_t a = H5Acreate2(file, name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_DOUBLE, v);
  H5Aclose(a);
  H5Sclose(space);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jepa;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Bytes in(data, size);
  const std::string path = (fuzz::scratch() / "corpus.h5").string();
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) return 0;
  const int64_t n_docs = in.u8() % 12, n_tokens = in.u8() % 64;
  if (in.flag(90)) write_dataset(file, "/tokens", in, false);
  if (in.flag(90)) write_dataset(file, "/offsets", in, true);
  const struct {
    const char* name;
    int64_t sensible;
  } attrs[] = {{"format_version", 1}, {"vocab_size", 30522}, {"cls_id", 101}, {"sep_id", 102}, {"pad_id", 0},
               {"mask_id", 103},      {"unk_id", 100},       {"max_length", 128}, {"n_docs", n_docs},
               {"n_tokens", n_tokens}, {"tokenizer", 0},     {"vocab_sha256", 0}, {"source", 0}, {"created_by", 0}};
  for (const auto& a : attrs) write_attribute(file, a.name, in, a.sensible);
  H5Fclose(file);

  try {
    data::CorpusReader c(path);
    const auto& m = c.meta();
    fuzz::require(c.size() == m.n_docs && m.n_docs >= 0, "size() differs from n_docs");
    std::vector<int64_t> all;
    int64_t total = 0;
    std::vector<std::vector<int32_t>> singles;
    for (int64_t i = 0; i < c.size(); ++i) {
      all.push_back(i);
      singles.push_back(c.doc(i));
      total += static_cast<int64_t>(singles.back().size());
    }
    fuzz::require(total == m.n_tokens, "document sizes do not add up to n_tokens");
    std::vector<int64_t> shuffled(all.rbegin(), all.rend());
    shuffled.insert(shuffled.end(), all.begin(), all.end());  // repeats and reverse order
    const auto batch = c.docs(shuffled);
    for (size_t k = 0; k < shuffled.size(); ++k)
      fuzz::require(batch[k] == singles[static_cast<size_t>(shuffled[k])], "batched read differs from single reads");
    c.check_vocab(m.vocab_sha256);
  } catch (const std::runtime_error& e) {
    fuzz::require_one_line(e.what(), "corpus");
  }
  return 0;
}
