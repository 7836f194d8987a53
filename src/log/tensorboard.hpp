#pragma once
// TensorBoard event files written without TensorFlow (log.tensorboard, docs/configuration.md): the TFRecord framing
// (length, masked CRC-32C of the length, payload, masked CRC-32C of the payload) around hand-encoded `Event`
// protobufs (wall_time, step, file_version | summary of simple_value scalars | session_log START).
#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace jepa::log {

// CRC-32C (Castagnoli), and TFRecord's masking of it.
uint32_t crc32c(const void* data, size_t n);
uint32_t masked_crc32c(const void* data, size_t n);

class EventWriter {
 public:
  // Creates DIR/events.out.tfevents.<unix time>.<host>.<pid> and writes the file-version event. A resumed run
  // (resume_step > 0) also writes a SessionLog START at the next step, so TensorBoard drops the older files'
  // points past resume_step (what the interrupted run logged after its last checkpoint).
  EventWriter(const std::string& dir, int64_t resume_step = 0);
  // One Event with one scalar per (tag, value) at `step`.
  void scalars(int64_t step, const std::vector<std::pair<std::string, double>>& values);
  const std::string& path() const { return path_; }

 private:
  void record(const std::string& event);
  std::string path_;
  std::ofstream out_;
};

}  // namespace jepa::log
