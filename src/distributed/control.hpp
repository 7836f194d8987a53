#pragma once
// Host-side control collectives over MPI (scalars, flags, checksums, barriers), each bounded by dist.timeout_s:
// a collective that does not complete in time ends the whole job with a message naming it and the step,
// instead of hanging. Collectives that wait for file I/O on some rank (start-up, checkpoint writes) run inside an
// IoScope and are bounded by dist.io_timeout_s instead, so a slow filesystem does not abort a healthy job.
// With world size 1 (no MPI) every operation is the identity.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "distributed/world.hpp"

namespace jepa::distributed {

class Control {
 public:
  // io_timeout_s <= 0: the same as timeout_s.
  Control(World world, double timeout_s, double io_timeout_s = 0);

  const World& world() const { return world_; }
  bool is_root() const { return world_.rank == 0; }
  void set_step(int64_t step) { step_ = step; }
  double timeout_s() const { return timeout_s_; }
  double io_timeout_s() const { return io_timeout_s_; }

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

  // A sum over ranks started now and collected with wait() later (e.g. the loss counts, reduced while the forward
  // is being queued). Every rank starts the same pending sums in the same order.
  class PendingSum {
   public:
    PendingSum(PendingSum&&) noexcept;
    ~PendingSum();
    std::vector<int64_t> wait();

   private:
    friend class Control;
    struct State;
    explicit PendingSum(std::unique_ptr<State> s);
    std::unique_ptr<State> state_;
  };
  PendingSum start_sum(std::vector<int64_t> values, const char* what);
  // The same for a bitwise OR (e.g. row bitmaps: which embedding rows any rank touched).
  PendingSum start_or(std::vector<int64_t> values, const char* what);

  // Polls `done` (e.g. MPI_Test on a non-blocking request) until it returns true, aborting the job after
  // timeout_s (io_timeout_s inside an IoScope). Backends pass their own test, so MPI stays an implementation detail
  // of src/distributed/.
  void wait(const std::function<bool()>& done, const std::string& what);
  [[noreturn]] void fail(const std::string& what);

 private:
  friend class IoScope;
  PendingSum start_reduce(std::vector<int64_t> values, const char* what, bool bitwise_or);
  World world_;
  double timeout_s_, io_timeout_s_;
  int io_depth_ = 0;
  int64_t step_ = 0;
};

// While alive, `control`'s collectives wait up to dist.io_timeout_s (nestable).
class IoScope {
 public:
  explicit IoScope(Control& control) : control_(control) { ++control_.io_depth_; }
  ~IoScope() { --control_.io_depth_; }
  IoScope(const IoScope&) = delete;
  IoScope& operator=(const IoScope&) = delete;

 private:
  Control& control_;
};

}  // namespace jepa::distributed
