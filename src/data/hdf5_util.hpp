#pragma once
// Internal to the corpus writer and reader (corpus_writer.cpp, corpus_reader.cpp): the HDF5 C API wrapped just
// enough to keep those two files about the corpus layout. Not part of the public interface (use corpus.hpp).
// HDF5's own error-stack printing is switched off; errors become one-line std::runtime_error naming the file.
#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>

namespace jepa::data::h5 {

// The layout version of corpus.hpp: written by CorpusWriter, the only one CorpusReader accepts.
constexpr int64_t kFormatVersion = 1;        // plain documents
constexpr int64_t kPairedFormatVersion = 2;  // layout "paired" (corpus.hpp)

// Silences HDF5's automatic error printing. The setting is per thread in thread-safe builds, so every entry
// point calls it (it is cheap).
void quiet_hdf5();

// Held by every read of an open corpus: Debian's HDF5 is not built thread-safe, and the batch prefetcher
// (data.prefetch) reads on a worker thread while the main thread may open or read other files.
std::mutex& hdf5_mutex();

// The innermost message on HDF5's error stack (e.g. "truncated file: eof = 96, ..."), flattened to one line.
// Must be called right after the failing call: every API call clears the stack.
std::string hdf5_detail();

// `msg` followed by " (<hdf5_detail()>)" when HDF5 has something to add.
std::string with_detail(const std::string& msg);

// Throws std::runtime_error("corpus '<path>': <msg>").
[[noreturn]] void fail(const std::string& path, const std::string& msg);

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

Handle space_handle(hid_t id);
Handle type_handle(hid_t id);
Handle plist_handle(hid_t id);

// ---- attributes (scalars on an object; `path` only names the file in errors) --------------------------------

void write_string_attr(const std::string& path, hid_t obj, const char* name, const std::string& value);
void write_int_attr(const std::string& path, hid_t obj, const char* name, int64_t value);
// False when the attribute is absent; fails when it is not a scalar of the right class.
bool read_string_attr(const std::string& path, hid_t obj, const char* name, std::string& out);
bool read_int_attr(const std::string& path, hid_t obj, const char* name, int64_t& out);

// ---- datasets ----------------------------------------------------------------------------------------------

// A chunked, extendible 1-D dataset; deflate 1..9 adds shuffle + deflate, 0 stores it raw.
Handle create_1d(const std::string& path, hid_t file, const char* name, hid_t file_type, hsize_t chunk,
                 int deflate);

// Appends `n` elements of `mem_type` at the end of a 1-D extendible dataset of current length `len`.
void append_1d(const std::string& path, hid_t ds, hsize_t& len, hid_t mem_type, const void* data, hsize_t n);

// Opens `name` as a rank-1 dataset and returns its length; fails with a clear message otherwise.
Handle open_1d(const std::string& path, hid_t file, const char* name, hsize_t& len);

// "int32", "uint16", ... or "a non-integer type", for error messages.
std::string describe_int_type(hid_t t);

}  // namespace jepa::data::h5
