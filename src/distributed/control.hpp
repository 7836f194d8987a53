#pragma once
// Host-side control collectives over MPI (scalars, flags, checksums, barriers), each bounded by dist.timeout_s:
// a collective that does not complete in time ends the whole job with a message naming it and the step,
// instead of hanging. With world size 1 (no MPI) every operation is the identity.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "distributed/world.hpp"

namespace jepa::distributed {

class Control {
 public:
  Control(World world, double timeout_s);

  const World& world() const { return world_; }
  bool is_root() const { return world_.rank == 0; }
  void set_step(int64_t step) { step_ = step; }
  double timeout_s() const { return timeout_s_; }

  double sum(double v, const char* what);
  int64_t sum(int64_t v, const char* what);
  int max(int v, const char* what);
  std::vector<uint64_t> allgather(uint64_t v, const char* what);
  // Every rank's vector (all ranks pass the same length).
  std::vector<std::vector<uint64_t>> allgather(const std::vector<uint64_t>& v, const char* what);
  // Every rank's bytes (any lengths).
  std::vector<std::string> allgather_bytes(const std::string& mine, const char* what);
  std::string broadcast(const std::string& s, const char* what);  // root's string to everyone
  void barrier(const char* what);

  // Polls `done` (e.g. MPI_Test on a non-blocking request) until it returns true, aborting the job after
  // timeout_s. Backends pass their own test, so MPI stays an implementation detail of src/distributed/.
  void wait(const std::function<bool()>& done, const std::string& what);
  [[noreturn]] void fail(const std::string& what);

 private:
  World world_;
  double timeout_s_;
  int64_t step_ = 0;
};

}  // namespace jepa::distributed
