// CorpusWriter (corpus.hpp): /tokens and /offsets are chunked, extendible 1-D datasets appended to in chunk-sized
// blocks, so prep memory is O(chunk), not O(corpus). Everything goes to `<path>.tmp`, renamed over `<path>` by
// close(), so a failed or interrupted prep never leaves a half-written corpus under the real name.
#include "data/corpus.hpp"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "data/hdf5_util.hpp"

namespace jepa::data {

using namespace h5;  // the HDF5 helpers this file is written in

namespace {

constexpr hsize_t kTokenChunk = 64 * 1024;   // elements (256 KiB of int32)
constexpr hsize_t kOffsetChunk = 16 * 1024;  // elements (128 KiB of int64)

}  // namespace

struct CorpusWriter::Impl {
  std::string path, tmp;
  CorpusMeta meta;
  Handle file, tokens, offsets, views;
  hsize_t tokens_len = 0, offsets_len = 0, views_len = 0;
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
  // A document's length and ids; throws naming it. A paired document carries its own specials; a plain one gets
  // [CLS]/[SEP] at batch time.
  void check_doc(const std::vector<int32_t>& body) const {
    const auto limit = static_cast<size_t>(meta.max_length - (meta.paired() ? 0 : 2));
    if (body.size() > limit)
      fail(path, "document " + std::to_string(n_docs) + " has " + std::to_string(body.size()) + " tokens, more than " +
                     (meta.paired() ? "max_length = " : "max_length - 2 = ") + std::to_string(limit));
    if (meta.vocab_size > 0)
      for (int32_t id : body)
        if (id < 0 || id >= meta.vocab_size)
          fail(path, "document " + std::to_string(n_docs) + " has token id " + std::to_string(id) +
                         " outside the vocabulary (size " + std::to_string(meta.vocab_size) + ")");
  }
  // Closes every handle and removes the temporary file (failed or abandoned write).
  void abandon() noexcept {
    tokens.reset();
    offsets.reset();
    views.reset();
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
    if (m.meta.paired()) m.views = create_1d(path, m.file, "/views", H5T_STD_I64LE, kOffsetChunk, deflate_level);
    else if (m.meta.layout != "documents") fail(path, "unknown corpus layout '" + m.meta.layout + "'");
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
  if (m.meta.paired() && m.views_len / 4 != static_cast<hsize_t>(m.n_docs) + 1)
    fail(m.path, "a paired corpus takes documents with add_paired()");
  m.check_doc(body);
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

void CorpusWriter::add_paired(const std::vector<int32_t>& doc, const ViewSpans& v) {
  auto& m = *impl_;
  if (!m.meta.paired()) fail(m.path, "add_paired() on a corpus whose layout is not paired");
  const auto n = static_cast<int64_t>(doc.size());
  if (!(0 <= v.text_begin && v.text_begin < v.text_end && v.text_end <= n && 0 <= v.code_begin &&
        v.code_begin < v.code_end && v.code_end <= n))
    fail(m.path, "example " + std::to_string(m.n_docs) + ": view spans outside its " + std::to_string(n) + " tokens");
  const int64_t spans[4] = {v.text_begin, v.text_end, v.code_begin, v.code_end};
  if (m.failed || m.closed) fail(m.path, "add_paired() after close() or a failed write");
  m.check_doc(doc);  // before the views are appended: a refused example leaves the file consistent
  quiet_hdf5();
  try {
    append_1d(m.path, m.views, m.views_len, H5T_NATIVE_INT64, spans, 4);
  } catch (...) {
    m.failed = true;
    m.abandon();
    throw;
  }
  add(doc);
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
    // Paired corpora are version 2, so a build that predates them refuses them instead of reading plain documents.
    write_int_attr(m.path, root, "format_version", m.meta.paired() ? kPairedFormatVersion : kFormatVersion);
    if (m.meta.paired()) {
      write_string_attr(m.path, root, "layout", m.meta.layout);
      // A dataset, not an attribute: attributes are limited to 64 KiB, a tokenizer need not be.
      Handle spec = create_1d(m.path, m.file, "/tokenizer_spec", H5T_STD_U8LE, 64 * 1024, 0);
      hsize_t len = 0;
      append_1d(m.path, spec, len, H5T_NATIVE_UINT8, m.meta.tokenizer_spec.data(), m.meta.tokenizer_spec.size());
    }
    const bool ok = m.tokens.close() && m.offsets.close() && (!m.views.valid() || m.views.close()) && m.file.close();
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

}  // namespace jepa::data
