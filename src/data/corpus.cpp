// Pre-tokenized HDF5 corpus: writer and reader (layout in corpus.hpp), HDF5 C API only.
//
// Writer: /tokens and /offsets are chunked, extendible 1-D datasets appended to in chunk-sized blocks, so prep
// memory is O(chunk), not O(corpus). Everything goes to `<path>.tmp`, renamed over `<path>` by close().
// Reader: validates the file once on open (streaming over /offsets), then reads only the documents asked for:
// a point selection for their offsets and one hyperslab union for their tokens.
// HDF5's own error-stack printing is switched off; errors become one-line std::runtime_error naming the file.
#include "data/corpus.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace jepa::data {
namespace {

constexpr int64_t kFormatVersion = 1;
constexpr hsize_t kTokenChunk = 64 * 1024;   // elements (256 KiB of int32)
constexpr hsize_t kOffsetChunk = 16 * 1024;  // elements (128 KiB of int64)
constexpr hsize_t kValidateBlock = 1 << 20;  // offsets read per block while validating

// Silences HDF5's automatic error printing. The setting is per thread in thread-safe builds, so every entry
// point calls it (it is cheap).
void quiet_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// The innermost message on HDF5's error stack (e.g. "truncated file: eof = 96, ..."), flattened to one line.
// Must be called right after the failing call: every API call clears the stack.
std::string hdf5_detail() {
  std::string out;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* data) -> herr_t {
        auto* s = static_cast<std::string*>(data);
        if (n == 0 && e && e->desc) *s = e->desc;
        return 0;
      },
      &out);
  H5Eclear2(H5E_DEFAULT);
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}

std::string with_detail(const std::string& msg) {
  const std::string d = hdf5_detail();
  return d.empty() ? msg : msg + " (" + d + ")";
}

[[noreturn]] void fail(const std::string& path, const std::string& msg) {
  throw std::runtime_error("corpus '" + path + "': " + msg);
}

// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), closer_(o.closer_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      closer_ = o.closer_;
    }
    return *this;
  }
  ~Handle() { reset(); }
  void reset() {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = H5I_INVALID_HID;
  }
  // Closes now and reports failure (reset() ignores it).
  bool close() {
    if (id_ < 0) return true;
    const herr_t rc = closer_(id_);
    id_ = H5I_INVALID_HID;
    return rc >= 0;
  }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  operator hid_t() const { return id_; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

Handle space_handle(hid_t id) { return {id, H5Sclose}; }
Handle type_handle(hid_t id) { return {id, H5Tclose}; }
Handle plist_handle(hid_t id) { return {id, H5Pclose}; }

// ---- attributes --------------------------------------------------------------------------------------------

void write_string_attr(const std::string& path, hid_t obj, const char* name, const std::string& value) {
  Handle type = type_handle(H5Tcopy(H5T_C_S1));
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  Handle space = space_handle(H5Screate(H5S_SCALAR));
  Handle attr(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* p = value.c_str();
  if (!attr.valid() || H5Awrite(attr, type, &p) < 0) fail(path, with_detail(std::string("cannot write attribute ") + name));
}

void write_int_attr(const std::string& path, hid_t obj, const char* name, int64_t value) {
  Handle space = space_handle(H5Screate(H5S_SCALAR));
  Handle attr(H5Acreate2(obj, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid() || H5Awrite(attr, H5T_NATIVE_INT64, &value) < 0)
    fail(path, with_detail(std::string("cannot write attribute ") + name));
}

// Opens attribute `name` of the root group, checking it holds exactly one element. Invalid handle if absent.
Handle open_scalar_attr(const std::string& path, hid_t obj, const char* name) {
  const htri_t exists = H5Aexists(obj, name);
  if (exists <= 0) return {};
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) fail(path, with_detail(std::string("cannot open attribute ") + name));
  Handle space = space_handle(H5Aget_space(attr));
  if (H5Sget_simple_extent_npoints(space) != 1) fail(path, std::string("attribute ") + name + " is not a scalar");
  return attr;
}

bool read_string_attr(const std::string& path, hid_t obj, const char* name, std::string& out) {
  Handle attr = open_scalar_attr(path, obj, name);
  if (!attr.valid()) return false;
  Handle ftype = type_handle(H5Aget_type(attr));
  if (H5Tget_class(ftype) != H5T_STRING) fail(path, std::string("attribute ") + name + " is not a string");
  if (H5Tis_variable_str(ftype) > 0) {
    Handle mtype = type_handle(H5Tcopy(H5T_C_S1));
    H5Tset_size(mtype, H5T_VARIABLE);
    H5Tset_cset(mtype, H5Tget_cset(ftype));
    char* p = nullptr;
    if (H5Aread(attr, mtype, &p) < 0) fail(path, with_detail(std::string("cannot read attribute ") + name));
    out = p ? p : "";
    if (p) H5free_memory(p);
  } else {
    const size_t n = H5Tget_size(ftype);
    Handle mtype = type_handle(H5Tcopy(ftype));
    std::vector<char> buf(n + 1, '\0');
    if (H5Aread(attr, mtype, buf.data()) < 0) fail(path, with_detail(std::string("cannot read attribute ") + name));
    out.assign(buf.data(), strnlen(buf.data(), n));
    if (H5Tget_strpad(ftype) == H5T_STR_SPACEPAD)
      while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  return true;
}

bool read_int_attr(const std::string& path, hid_t obj, const char* name, int64_t& out) {
  Handle attr = open_scalar_attr(path, obj, name);
  if (!attr.valid()) return false;
  Handle ftype = type_handle(H5Aget_type(attr));
  if (H5Tget_class(ftype) != H5T_INTEGER) fail(path, std::string("attribute ") + name + " is not an integer");
  if (H5Aread(attr, H5T_NATIVE_INT64, &out) < 0) fail(path, with_detail(std::string("cannot read attribute ") + name));
  return true;
}

// ---- datasets ----------------------------------------------------------------------------------------------

// A chunked, extendible 1-D dataset.
Handle create_1d(const std::string& path, hid_t file, const char* name, hid_t file_type, hsize_t chunk,
                 int deflate) {
  const hsize_t zero = 0, unlimited = H5S_UNLIMITED;
  Handle space = space_handle(H5Screate_simple(1, &zero, &unlimited));
  Handle dcpl = plist_handle(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_chunk(dcpl, 1, &chunk);
  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  if (deflate > 0) {
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0) fail(path, "deflate requested but HDF5 lacks the deflate filter");
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, static_cast<unsigned>(std::min(deflate, 9)));
  }
  Handle ds(H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) fail(path, with_detail(std::string("cannot create dataset ") + name));
  return ds;
}

// Appends `n` elements of `mem_type` at the end of a 1-D extendible dataset of current length `len`.
void append_1d(const std::string& path, hid_t ds, hsize_t& len, hid_t mem_type, const void* data, hsize_t n) {
  if (n == 0) return;
  const hsize_t new_len = len + n;
  if (H5Dset_extent(ds, &new_len) < 0) fail(path, with_detail("cannot extend dataset"));
  Handle fspace = space_handle(H5Dget_space(ds));
  Handle mspace = space_handle(H5Screate_simple(1, &n, nullptr));
  if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &len, nullptr, &n, nullptr) < 0 ||
      H5Dwrite(ds, mem_type, mspace, fspace, H5P_DEFAULT, data) < 0)
    fail(path, with_detail("cannot write (disk full?)"));
  len = new_len;
}

// Opens `name` as a rank-1 dataset and returns its length; fails with a clear message otherwise.
// Unfiltered datasets are reopened without a chunk cache: HDF5 would otherwise read each touched chunk whole
// (256 KiB per random document); without it, reads fetch just the selected elements. Compressed chunks must be
// decompressed whole anyway and keep the default cache.
Handle open_1d(const std::string& path, hid_t file, const char* name, hsize_t& len) {
  // H5Lexists on "/x" checks the link; the object must also be a dataset.
  if (H5Lexists(file, name, H5P_DEFAULT) <= 0) fail(path, std::string("dataset ") + name + " missing");
  {
    Handle obj(H5Oopen(file, name, H5P_DEFAULT), H5Oclose);
    if (!obj.valid()) fail(path, with_detail(std::string("cannot open ") + name));
    if (H5Iget_type(obj) != H5I_DATASET) fail(path, std::string(name) + " is not a dataset");
  }
  Handle ds(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) fail(path, with_detail(std::string("cannot open dataset ") + name));
  Handle space = space_handle(H5Dget_space(ds));
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank != 1) fail(path, std::string("dataset ") + name + " has rank " + std::to_string(rank) + ", expected 1");
  H5Sget_simple_extent_dims(space, &len, nullptr);
  Handle dcpl = plist_handle(H5Dget_create_plist(ds));
  if (dcpl.valid() && H5Pget_nfilters(dcpl) == 0) {
    ds.reset();  // an open dataset would share its cache settings with the new handle
    Handle dapl = plist_handle(H5Pcreate(H5P_DATASET_ACCESS));
    H5Pset_chunk_cache(dapl, H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, H5D_CHUNK_CACHE_W0_DEFAULT);
    ds = Handle(H5Dopen2(file, name, dapl), H5Dclose);
    if (!ds.valid()) fail(path, with_detail(std::string("cannot open dataset ") + name));
  }
  return ds;
}

std::string describe_int_type(hid_t t) {
  if (H5Tget_class(t) != H5T_INTEGER) return "a non-integer type";
  const bool sign = H5Tget_sign(t) == H5T_SGN_2;
  return std::string(sign ? "int" : "uint") + std::to_string(8 * H5Tget_size(t));
}

}  // namespace

// =============================================================================================================
// Writer

struct CorpusWriter::Impl {
  std::string path, tmp;
  CorpusMeta meta;
  Handle file, tokens, offsets;
  hsize_t tokens_len = 0, offsets_len = 0;
  std::vector<int32_t> tok_buf;
  std::vector<int64_t> off_buf;
  int64_t n_docs = 0, n_tokens = 0;
  bool closed = false, failed = false;

  // Appends whole chunks only (everything when `all`), so each chunk is written once, in one piece.
  template <typename T>
  void flush(Handle& ds, hsize_t& len, hid_t mem_type, std::vector<T>& buf, hsize_t chunk, bool all) {
    quiet_hdf5();
    const size_t n = all ? buf.size() : buf.size() / chunk * chunk;
    append_1d(path, ds, len, mem_type, buf.data(), n);
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  void flush_tokens(bool all) { flush(tokens, tokens_len, H5T_NATIVE_INT32, tok_buf, kTokenChunk, all); }
  void flush_offsets(bool all) { flush(offsets, offsets_len, H5T_NATIVE_INT64, off_buf, kOffsetChunk, all); }
  // Closes every handle and removes the temporary file (failed or abandoned write).
  void abandon() noexcept {
    tokens.reset();
    offsets.reset();
    file.reset();
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
  }
};

CorpusWriter::CorpusWriter(const std::string& path, CorpusMeta meta) : CorpusWriter(path, std::move(meta), 0) {}

CorpusWriter::CorpusWriter(const std::string& path, CorpusMeta meta, int deflate_level)
    : impl_(std::make_unique<Impl>()) {
  quiet_hdf5();
  auto& m = *impl_;
  m.path = path;
  m.tmp = path + ".tmp";
  m.meta = std::move(meta);
  if (m.meta.max_length < 2) fail(path, "max_length must be at least 2, got " + std::to_string(m.meta.max_length));
  try {
    Handle fapl = plist_handle(H5Pcreate(H5P_FILE_ACCESS));
    m.file = Handle(H5Fcreate(m.tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose);
    if (!m.file.valid()) fail(path, with_detail("cannot create '" + m.tmp + "'"));
    m.tokens = create_1d(path, m.file, "/tokens", H5T_STD_I32LE, kTokenChunk, deflate_level);
    m.offsets = create_1d(path, m.file, "/offsets", H5T_STD_I64LE, kOffsetChunk, deflate_level);
  } catch (...) {
    m.abandon();
    throw;
  }
  m.tok_buf.reserve(kTokenChunk);
  m.off_buf.reserve(kOffsetChunk);
  m.off_buf.push_back(0);
}

CorpusWriter::~CorpusWriter() {
  if (impl_ && !impl_->closed) impl_->abandon();
}

void CorpusWriter::add(const std::vector<int32_t>& body) {
  auto& m = *impl_;
  if (m.failed) fail(m.path, "add() after a failed write");
  if (m.closed) fail(m.path, "add() after close()");
  const auto limit = static_cast<size_t>(m.meta.max_length - 2);
  if (body.size() > limit)
    fail(m.path, "document " + std::to_string(m.n_docs) + " has " + std::to_string(body.size()) +
                     " tokens, more than max_length - 2 = " + std::to_string(limit));
  if (m.meta.vocab_size > 0)
    for (int32_t id : body)
      if (id < 0 || id >= m.meta.vocab_size)
        fail(m.path, "document " + std::to_string(m.n_docs) + " has token id " + std::to_string(id) +
                         " outside the vocabulary (size " + std::to_string(m.meta.vocab_size) + ")");
  try {
    m.tok_buf.insert(m.tok_buf.end(), body.begin(), body.end());
    m.n_tokens += static_cast<int64_t>(body.size());
    ++m.n_docs;
    m.off_buf.push_back(m.n_tokens);
    if (m.tok_buf.size() >= kTokenChunk) m.flush_tokens(false);
    if (m.off_buf.size() >= kOffsetChunk) m.flush_offsets(false);
  } catch (...) {
    m.failed = true;  // the file is inconsistent now: drop it
    m.abandon();
    throw;
  }
}

void CorpusWriter::close() {
  quiet_hdf5();
  auto& m = *impl_;
  if (m.failed) fail(m.path, "close() after a failed write; nothing was written");
  if (m.closed) return;
  try {
    m.flush_tokens(true);
    m.flush_offsets(true);
    const hid_t root = m.file;
    write_string_attr(m.path, root, "tokenizer", m.meta.tokenizer);
    write_string_attr(m.path, root, "vocab_sha256", m.meta.vocab_sha256);
    write_int_attr(m.path, root, "vocab_size", m.meta.vocab_size);
    write_int_attr(m.path, root, "cls_id", m.meta.special.cls);
    write_int_attr(m.path, root, "sep_id", m.meta.special.sep);
    write_int_attr(m.path, root, "pad_id", m.meta.special.pad);
    write_int_attr(m.path, root, "mask_id", m.meta.special.mask);
    write_int_attr(m.path, root, "unk_id", m.meta.special.unk);
    write_int_attr(m.path, root, "max_length", m.meta.max_length);
    write_string_attr(m.path, root, "source", m.meta.source);
    write_string_attr(m.path, root, "created_by", m.meta.created_by);
    write_int_attr(m.path, root, "n_docs", m.n_docs);
    write_int_attr(m.path, root, "n_tokens", m.n_tokens);
    write_int_attr(m.path, root, "format_version", kFormatVersion);
    const bool ok = m.tokens.close() && m.offsets.close() && m.file.close();
    if (!ok) fail(m.path, with_detail("cannot finish writing '" + m.tmp + "'"));
    std::error_code ec;
    std::filesystem::rename(m.tmp, m.path, ec);
    if (ec) fail(m.path, "cannot rename '" + m.tmp + "' to it: " + ec.message());
  } catch (...) {
    m.failed = true;
    m.abandon();
    throw;
  }
  m.closed = true;
  m.meta.n_docs = m.n_docs;
  m.meta.n_tokens = m.n_tokens;
}

int64_t CorpusWriter::docs() const { return impl_->n_docs; }

// =============================================================================================================
// Reader

struct CorpusReader::Impl {
  std::string path;
  CorpusMeta meta;
  Handle file, tokens, offsets;
  hsize_t n_tokens = 0, n_offsets = 0;

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
    if (version != kFormatVersion)
      fail(path, "format_version " + std::to_string(version) + " is not supported (this build reads version " +
                     std::to_string(kFormatVersion) + ")");
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
    read_string_attr(path, root, "source", meta.source);
    read_string_attr(path, root, "created_by", meta.created_by);
  }

  void check_index(int64_t i) const {
    if (i < 0 || i >= meta.n_docs)
      throw std::out_of_range("corpus '" + path + "': document " + std::to_string(i) + " out of range [0, " +
                              std::to_string(meta.n_docs) + ")");
  }
};

CorpusReader::CorpusReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
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
}

CorpusReader::~CorpusReader() = default;

int64_t CorpusReader::size() const { return impl_->meta.n_docs; }

const CorpusMeta& CorpusReader::meta() const { return impl_->meta; }

std::vector<int32_t> CorpusReader::doc(int64_t i) const { return std::move(docs({i})[0]); }

std::vector<std::vector<int32_t>> CorpusReader::docs(const std::vector<int64_t>& indices) const {
  quiet_hdf5();
  const auto& m = *impl_;
  std::vector<std::vector<int32_t>> out(indices.size());
  if (indices.empty()) return out;
  for (int64_t i : indices) m.check_index(i);

  // 1. offsets[i], offsets[i+1] of every requested doc: one point selection, read in the listed order.
  const size_t n = indices.size();
  std::vector<hsize_t> coords(2 * n);
  for (size_t k = 0; k < n; ++k) {
    coords[2 * k] = static_cast<hsize_t>(indices[k]);
    coords[2 * k + 1] = static_cast<hsize_t>(indices[k]) + 1;
  }
  std::vector<int64_t> bounds(2 * n);
  {
    Handle fspace = space_handle(H5Dget_space(m.offsets));
    const hsize_t count = 2 * n;
    Handle mspace = space_handle(H5Screate_simple(1, &count, nullptr));
    if (H5Sselect_elements(fspace, H5S_SELECT_SET, count, coords.data()) < 0 ||
        H5Dread(m.offsets, H5T_NATIVE_INT64, mspace, fspace, H5P_DEFAULT, bounds.data()) < 0)
      fail(m.path, with_detail("cannot read /offsets"));
  }

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

void CorpusReader::check_vocab(const std::string& vocab_sha256) const {
  const auto& have = impl_->meta.vocab_sha256;
  if (have != vocab_sha256)
    fail(impl_->path, "made with vocabulary sha256 " + (have.empty() ? std::string("<none>") : have) +
                          ", but the configured vocabulary has sha256 " + vocab_sha256);
}

}  // namespace jepa::data
