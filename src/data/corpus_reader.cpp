// CorpusReader (corpus.hpp): validates the file once on open (streaming over /offsets), then reads only the
// documents asked for -- a point selection for their offsets and one hyperslab union for their tokens -- so
// memory stays O(batch) however large the corpus.
#include "data/corpus.hpp"

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "data/hdf5_util.hpp"

namespace jepa::data {

using namespace h5;  // the HDF5 helpers this file is written in

namespace {

constexpr hsize_t kValidateBlock = 1 << 20;  // offsets read per block while validating

}  // namespace

struct CorpusReader::Impl {
  std::string path;
  CorpusMeta meta;
  Handle file, tokens, offsets, views;
  hsize_t n_tokens = 0, n_offsets = 0, n_views = 0;

  ~Impl() {  // closing is an HDF5 call too (hdf5_mutex)
    const std::lock_guard<std::mutex> lock(hdf5_mutex());
    views.reset();
    offsets.reset();
    tokens.reset();
    file.reset();
  }

  void validate_offsets() {
    if (n_offsets == 0) fail(path, "dataset /offsets is empty (needs n_docs + 1 entries)");
    std::vector<int64_t> buf;
    Handle fspace = space_handle(H5Dget_space(offsets));
    int64_t prev = 0;
    for (hsize_t start = 0; start < n_offsets; start += kValidateBlock) {
      const hsize_t n = std::min(kValidateBlock, n_offsets - start);
      buf.resize(n);
      Handle mspace = space_handle(H5Screate_simple(1, &n, nullptr));
      if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, nullptr, &n, nullptr) < 0 ||
          H5Dread(offsets, H5T_NATIVE_INT64, mspace, fspace, H5P_DEFAULT, buf.data()) < 0)
        fail(path, with_detail("cannot read /offsets (truncated or corrupt file?)"));
      for (hsize_t k = 0; k < n; ++k) {
        const int64_t v = buf[k];
        const hsize_t i = start + k;
        if (i == 0 && v != 0) fail(path, "offsets[0] is " + std::to_string(v) + ", expected 0");
        if (v < prev)
          fail(path, "offsets not monotonic: offsets[" + std::to_string(i) + "] = " + std::to_string(v) +
                         " < offsets[" + std::to_string(i - 1) + "] = " + std::to_string(prev));
        if (static_cast<uint64_t>(v) > n_tokens)
          fail(path, "offsets[" + std::to_string(i) + "] = " + std::to_string(v) + " is past the end of /tokens (" +
                         std::to_string(n_tokens) + " tokens)");
        prev = v;
      }
    }
    if (static_cast<uint64_t>(prev) != n_tokens)
      fail(path, "last offset is " + std::to_string(prev) + " but /tokens has " + std::to_string(n_tokens) +
                     " tokens");
  }

  void read_meta() {
    const hid_t root = file;
    auto need_str = [&](const char* name, std::string& out) {
      if (!read_string_attr(path, root, name, out)) fail(path, std::string("attribute ") + name + " missing");
    };
    auto need_int = [&](const char* name, int64_t& out) {
      if (!read_int_attr(path, root, name, out)) fail(path, std::string("attribute ") + name + " missing");
    };
    auto need_id = [&](const char* name, int32_t& out) {
      int64_t v = 0;
      need_int(name, v);
      if (v < 0 || (meta.vocab_size > 0 && v >= meta.vocab_size))
        fail(path, std::string("attribute ") + name + " = " + std::to_string(v) + " is outside the vocabulary");
      out = static_cast<int32_t>(v);
    };
    int64_t version = 0;
    need_int("format_version", version);
    if (version != kFormatVersion && version != kPairedFormatVersion)
      fail(path, "format_version " + std::to_string(version) + " is not supported (this build reads versions " +
                     std::to_string(kFormatVersion) + " and " + std::to_string(kPairedFormatVersion) + ")");
    need_str("tokenizer", meta.tokenizer);
    need_str("vocab_sha256", meta.vocab_sha256);
    need_int("vocab_size", meta.vocab_size);
    need_id("cls_id", meta.special.cls);
    need_id("sep_id", meta.special.sep);
    need_id("pad_id", meta.special.pad);
    need_id("mask_id", meta.special.mask);
    need_id("unk_id", meta.special.unk);
    need_int("max_length", meta.max_length);
    if (meta.max_length < 2) fail(path, "attribute max_length = " + std::to_string(meta.max_length) + " is below 2");
    need_int("n_docs", meta.n_docs);
    need_int("n_tokens", meta.n_tokens);
    // Provenance only: optional.
    read_string_attr(path, root, "layout", meta.layout);
    if (meta.layout != "documents" && meta.layout != "paired")
      fail(path, "attribute layout = '" + meta.layout + "' is not documents or paired");
    if ((version == kPairedFormatVersion) != meta.paired())
      fail(path, "format_version " + std::to_string(version) + " does not match layout '" + meta.layout + "'");
    read_string_attr(path, root, "source", meta.source);
    read_string_attr(path, root, "created_by", meta.created_by);
  }

  // offsets[i], offsets[i+1] of every document in `indices`, interleaved: one point selection, in the listed order.
  std::vector<int64_t> bounds(const std::vector<int64_t>& indices) const {
    for (int64_t i : indices) check_index(i);
    const size_t n = indices.size();
    std::vector<int64_t> out(2 * n);
    if (n == 0) return out;
    std::vector<hsize_t> coords(2 * n);
    for (size_t k = 0; k < n; ++k) {
      coords[2 * k] = static_cast<hsize_t>(indices[k]);
      coords[2 * k + 1] = static_cast<hsize_t>(indices[k]) + 1;
    }
    Handle fspace = space_handle(H5Dget_space(offsets));
    const hsize_t count = 2 * n;
    Handle mspace = space_handle(H5Screate_simple(1, &count, nullptr));
    if (H5Sselect_elements(fspace, H5S_SELECT_SET, count, coords.data()) < 0 ||
        H5Dread(offsets, H5T_NATIVE_INT64, mspace, fspace, H5P_DEFAULT, out.data()) < 0)
      fail(path, with_detail("cannot read /offsets"));
    return out;
  }

  // /views (4 per document, each span inside its document) and /tokenizer_spec of a paired corpus.
  void open_paired() {
    views = open_1d(path, file, "/views", n_views);
    if (n_views != 4 * static_cast<hsize_t>(meta.n_docs))
      fail(path, "dataset /views has " + std::to_string(n_views) + " entries, expected 4 x n_docs = " +
                     std::to_string(4 * meta.n_docs));
    hsize_t n_spec = 0;
    Handle spec = open_1d(path, file, "/tokenizer_spec", n_spec);
    meta.tokenizer_spec.assign(n_spec, '\0');
    if (n_spec > 0 && H5Dread(spec, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, meta.tokenizer_spec.data()) < 0)
      fail(path, with_detail("cannot read /tokenizer_spec"));
  }

  void check_index(int64_t i) const {
    if (i < 0 || i >= meta.n_docs)
      throw std::out_of_range("corpus '" + path + "': document " + std::to_string(i) + " out of range [0, " +
                              std::to_string(meta.n_docs) + ")");
  }
};

CorpusReader::CorpusReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  const std::lock_guard<std::mutex> lock(hdf5_mutex());
  quiet_hdf5();
  auto& m = *impl_;
  m.path = path;
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) fail(path, "file not found");
  if (!std::filesystem::is_regular_file(status)) fail(path, "not a regular file");
#if H5_VERSION_GE(1, 12, 0)
  const htri_t is_h5 = H5Fis_accessible(path.c_str(), H5P_DEFAULT);
#else
  const htri_t is_h5 = H5Fis_hdf5(path.c_str());
#endif
  if (is_h5 <= 0) {
    const std::string d = hdf5_detail();
    fail(path, "not an HDF5 file" + (d.empty() || is_h5 == 0 ? std::string() : " (" + d + ")"));
  }
  Handle fapl = plist_handle(H5Pcreate(H5P_FILE_ACCESS));
#if H5_VERSION_GE(1, 12, 1) || (H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 10 && H5_VERS_RELEASE >= 7)
  // Keep HDF5's file locks, but don't fail on file systems without them (NFS, Lustre: every rank opens the file).
  H5Pset_file_locking(fapl, true, true);
#endif
  m.file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl), H5Fclose);
  if (!m.file.valid()) fail(path, with_detail("cannot open HDF5 file (truncated or corrupt?)"));

  m.tokens = open_1d(path, m.file, "/tokens", m.n_tokens);
  m.offsets = open_1d(path, m.file, "/offsets", m.n_offsets);
  {
    Handle t = type_handle(H5Dget_type(m.tokens));
    const bool ok = H5Tget_class(t) == H5T_INTEGER &&
                    ((H5Tget_size(t) == 4 && H5Tget_sign(t) == H5T_SGN_2) ||
                     (H5Tget_size(t) == 2 && H5Tget_sign(t) == H5T_SGN_NONE));
    if (!ok) fail(path, "dataset /tokens has type " + describe_int_type(t) + ", expected int32 (or uint16)");
  }
  {
    Handle t = type_handle(H5Dget_type(m.offsets));
    if (!(H5Tget_class(t) == H5T_INTEGER && H5Tget_size(t) == 8 && H5Tget_sign(t) == H5T_SGN_2))
      fail(path, "dataset /offsets has type " + describe_int_type(t) + ", expected int64");
  }
  m.read_meta();
  if (static_cast<uint64_t>(m.meta.n_docs) + 1 != m.n_offsets)
    fail(path, "attribute n_docs = " + std::to_string(m.meta.n_docs) + " but /offsets has " +
                   std::to_string(m.n_offsets) + " entries (expected n_docs + 1)");
  if (static_cast<uint64_t>(m.meta.n_tokens) != m.n_tokens)
    fail(path, "attribute n_tokens = " + std::to_string(m.meta.n_tokens) + " but /tokens has " +
                   std::to_string(m.n_tokens) + " entries");
  m.validate_offsets();
  if (m.meta.paired()) m.open_paired();
}

CorpusReader::~CorpusReader() = default;

int64_t CorpusReader::size() const { return impl_->meta.n_docs; }

const CorpusMeta& CorpusReader::meta() const { return impl_->meta; }

std::vector<int32_t> CorpusReader::doc(int64_t i) const { return std::move(docs({i})[0]); }

std::vector<std::vector<int32_t>> CorpusReader::docs(const std::vector<int64_t>& indices) const {
  const std::lock_guard<std::mutex> lock(hdf5_mutex());
  quiet_hdf5();
  const auto& m = *impl_;
  std::vector<std::vector<int32_t>> out(indices.size());
  if (indices.empty()) return out;

  // 1. offsets[i], offsets[i+1] of every requested doc.
  const size_t n = indices.size();
  const auto bounds = m.bounds(indices);

  // 2. Tokens: the union of the distinct non-empty ranges, which HDF5 returns in file order.
  struct Range {
    hsize_t start, len;
  };
  std::vector<Range> ranges;
  ranges.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    const int64_t a = bounds[2 * k], b = bounds[2 * k + 1];
    if (b < a || static_cast<uint64_t>(b) > m.n_tokens)  // validated at open; the file changed underneath?
      fail(m.path, "offsets of document " + std::to_string(indices[k]) + " are inconsistent");
    if (b > a) ranges.push_back({static_cast<hsize_t>(a), static_cast<hsize_t>(b - a)});
  }
  std::sort(ranges.begin(), ranges.end(), [](const Range& x, const Range& y) { return x.start < y.start; });
  ranges.erase(std::unique(ranges.begin(), ranges.end(),
                           [](const Range& x, const Range& y) { return x.start == y.start; }),
               ranges.end());
  hsize_t total = 0;
  std::vector<hsize_t> pos(ranges.size());  // position of each range in the read buffer
  for (size_t r = 0; r < ranges.size(); ++r) {
    pos[r] = total;
    total += ranges[r].len;
  }
  std::vector<int32_t> buf(total);
  if (total > 0) {
    Handle fspace = space_handle(H5Dget_space(m.tokens));
    Handle mspace = space_handle(H5Screate_simple(1, &total, nullptr));
    bool ok = true;
    for (size_t r = 0; r < ranges.size() && ok; ++r)
      ok = H5Sselect_hyperslab(fspace, r == 0 ? H5S_SELECT_SET : H5S_SELECT_OR, &ranges[r].start, nullptr,
                               &ranges[r].len, nullptr) >= 0;
    if (!ok || H5Dread(m.tokens, H5T_NATIVE_INT32, mspace, fspace, H5P_DEFAULT, buf.data()) < 0)
      fail(m.path, with_detail("cannot read /tokens"));
  }
  for (size_t k = 0; k < n; ++k) {
    const int64_t a = bounds[2 * k], b = bounds[2 * k + 1];
    if (b == a) continue;
    const auto it = std::lower_bound(ranges.begin(), ranges.end(), static_cast<hsize_t>(a),
                                     [](const Range& x, hsize_t s) { return x.start < s; });
    const auto p = static_cast<std::ptrdiff_t>(pos[static_cast<size_t>(it - ranges.begin())]);
    out[k].assign(buf.begin() + p, buf.begin() + p + (b - a));
  }
  return out;
}

std::vector<ViewSpans> CorpusReader::views(const std::vector<int64_t>& indices) const {
  const auto& m = *impl_;
  if (!m.meta.paired()) fail(m.path, "has no paired views (layout '" + m.meta.layout + "'; make one with jepa_prep --paired)");
  const std::lock_guard<std::mutex> lock(hdf5_mutex());
  quiet_hdf5();
  std::vector<ViewSpans> out(indices.size());
  if (indices.empty()) return out;
  for (int64_t i : indices) m.check_index(i);
  std::vector<hsize_t> coords;
  for (int64_t i : indices)
    for (hsize_t k = 0; k < 4; ++k) coords.push_back(4 * static_cast<hsize_t>(i) + k);
  std::vector<int64_t> buf(coords.size());
  const hsize_t count = coords.size();
  Handle fspace = space_handle(H5Dget_space(m.views));
  Handle mspace = space_handle(H5Screate_simple(1, &count, nullptr));
  if (H5Sselect_elements(fspace, H5S_SELECT_SET, count, coords.data()) < 0 ||
      H5Dread(m.views, H5T_NATIVE_INT64, mspace, fspace, H5P_DEFAULT, buf.data()) < 0)
    fail(m.path, with_detail("cannot read /views"));
  const auto len = m.bounds(indices);
  for (size_t k = 0; k < out.size(); ++k) {
    out[k] = {buf[4 * k], buf[4 * k + 1], buf[4 * k + 2], buf[4 * k + 3]};
    const int64_t n = len[2 * k + 1] - len[2 * k];
    const auto& v = out[k];
    if (!(0 <= v.text_begin && v.text_begin < v.text_end && v.text_end <= n && 0 <= v.code_begin &&
          v.code_begin < v.code_end && v.code_end <= n))
      fail(m.path, "the views of document " + std::to_string(indices[k]) + " lie outside its " + std::to_string(n) +
                       " tokens (corrupt /views)");
  }
  return out;
}

std::vector<int64_t> CorpusReader::lengths(const std::vector<int64_t>& indices) const {
  const std::lock_guard<std::mutex> lock(hdf5_mutex());
  quiet_hdf5();
  const auto b = impl_->bounds(indices);
  std::vector<int64_t> out(indices.size());
  for (size_t k = 0; k < out.size(); ++k) out[k] = b[2 * k + 1] - b[2 * k];
  return out;
}

void CorpusReader::check_vocab(const std::string& vocab_sha256) const {
  const auto& have = impl_->meta.vocab_sha256;
  if (have != vocab_sha256)
    fail(impl_->path, "made with vocabulary sha256 " + (have.empty() ? std::string("<none>") : have) +
                          ", but the configured vocabulary has sha256 " + vocab_sha256);
}

void CorpusReader::check_vocab_file(const std::string& vocab_path, const std::string& what) const {
  try {
    check_vocab(sha256_file(vocab_path));
  } catch (const std::exception& e) {
    throw std::runtime_error(what + " '" + vocab_path + "': " + e.what());
  }
}

}  // namespace jepa::data
