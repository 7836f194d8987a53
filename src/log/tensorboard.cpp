#include "log/tensorboard.hpp"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace jepa::log {
namespace {

const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82F63B78u ^ (c >> 1) : c >> 1;  // reflected Castagnoli polynomial
      t[i] = c;
    }
    return t;
  }();
  return table;
}

// Protocol-buffer wire format, just what Event needs.
void varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void key(std::string& out, int field, int wire_type) { varint(out, static_cast<uint64_t>(field << 3 | wire_type)); }
template <class T>
void fixed(std::string& out, T v) {  // little-endian, as x86 stores it
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}
void bytes_field(std::string& out, int field, const std::string& payload) {
  key(out, field, 2);
  varint(out, payload.size());
  out += payload;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Event { double wall_time = 1; int64 step = 2; ... }
std::string event_header(int64_t step) {
  std::string e;
  key(e, 1, 1);
  fixed(e, now_seconds());
  key(e, 2, 0);
  varint(e, static_cast<uint64_t>(step));
  return e;
}

}  // namespace

uint32_t crc32c(const void* data, size_t n) {
  const auto& t = crc_table();
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = t[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(const void* data, size_t n) {
  const uint32_t c = crc32c(data, n);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

EventWriter::EventWriter(const std::string& dir, int64_t resume_step) {
  std::filesystem::create_directories(dir);
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  path_ = (std::filesystem::path(dir) / ("events.out.tfevents." + std::to_string(static_cast<long long>(now_seconds())) +
                                         "." + host + "." + std::to_string(getpid())))
              .string();
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) throw std::runtime_error("cannot write TensorBoard event file " + path_);
  std::string version = event_header(0);
  bytes_field(version, 3, "brain.Event:2");  // file_version
  record(version);
  if (resume_step > 0) {
    // TensorBoard keeps the points before a START's step: the resumed run's first point is resume_step + 1.
    std::string start = event_header(resume_step + 1), session;
    key(session, 1, 0);  // SessionLog.status = START (1)
    varint(session, 1);
    bytes_field(start, 7, session);  // Event.session_log (field 7)
    record(start);
  }
}

void EventWriter::scalars(int64_t step, const std::vector<std::pair<std::string, double>>& values) {
  std::string summary;
  for (const auto& [tag, v] : values) {
    std::string value;
    bytes_field(value, 1, tag);  // Summary.Value.tag
    key(value, 2, 5);            // Summary.Value.simple_value (float)
    fixed(value, static_cast<float>(v));
    bytes_field(summary, 1, value);
  }
  std::string e = event_header(step);
  bytes_field(e, 5, summary);  // summary
  record(e);
}

void EventWriter::record(const std::string& event) {
  const uint64_t n = event.size();
  std::string r;
  fixed(r, n);
  fixed(r, masked_crc32c(&n, sizeof n));
  r += event;
  fixed(r, masked_crc32c(event.data(), event.size()));
  out_.write(r.data(), static_cast<std::streamsize>(r.size()));
  out_.flush();
  if (!out_) throw std::runtime_error("cannot write TensorBoard event file " + path_);
}

}  // namespace jepa::log
