// The HDF5 helpers shared by the corpus writer and reader (declared, with their contracts, in hdf5_util.hpp).
#include "data/hdf5_util.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace jepa::data::h5 {

void quiet_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::mutex& hdf5_mutex() {
  static std::mutex m;
  return m;
}

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

namespace {

// Opens attribute `name` of `obj`, checking it holds exactly one element. Invalid handle if absent.
Handle open_scalar_attr(const std::string& path, hid_t obj, const char* name) {
  const htri_t exists = H5Aexists(obj, name);
  if (exists <= 0) return {};
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) fail(path, with_detail(std::string("cannot open attribute ") + name));
  Handle space = space_handle(H5Aget_space(attr));
  if (H5Sget_simple_extent_npoints(space) != 1) fail(path, std::string("attribute ") + name + " is not a scalar");
  return attr;
}

}  // namespace

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

}  // namespace jepa::data::h5
