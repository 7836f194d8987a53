#include "distributed/control.hpp"

#include <mpi.h>

#include "distributed/mpi_request.hpp"

#include <chrono>
#include <sstream>
#include <iostream>
#include <thread>

namespace jepa::distributed {

Control::Control(World world, double timeout_s, double io_timeout_s)
    : world_(std::move(world)), timeout_s_(timeout_s), io_timeout_s_(io_timeout_s > 0 ? io_timeout_s : timeout_s) {}

void Control::fail(const std::string& what) {
  std::cerr << "jepa_dist: error: rank " << world_.rank << ": " << what << "; aborting the job" << std::endl;
  abort_job(3);
}

namespace {
std::string seconds(double s) {  // 300 -> "300", 0.5 -> "0.5"
  std::ostringstream o;
  o << s;
  return o.str();
}
}  // namespace

void Control::wait(const std::function<bool()>& done, const std::string& what) {
  const bool io = io_depth_ > 0;
  const double limit = io ? io_timeout_s_ : timeout_s_;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit);
  for (int spins = 0;; ++spins) {
    if (done()) return;
    if (std::chrono::steady_clock::now() > deadline)
      fail("collective '" + what + "' at step " + std::to_string(step_) + " did not finish within " +
           seconds(limit) + (io ? " s (dist.io_timeout_s)" : " s (dist.timeout_s)") +
           ": a rank died or hangs");
    // Spin briefly (latency), then back off so a waiting rank does not steal cores from working ones.
    if (spins > 1000) std::this_thread::sleep_for(std::chrono::microseconds(spins > 100000 ? 1000 : 50));
  }
}

namespace {
template <class T>
T allreduce_scalar(Control& c, T v, MPI_Datatype type, MPI_Op op, const char* what) {
  if (!c.world().mpi) return v;
  T out{};
  MPI_Request r;
  MPI_Iallreduce(&v, &out, 1, type, op, MPI_COMM_WORLD, &r);
  wait_request(c, r, what);
  return out;
}
}  // namespace

double Control::sum(double v, const char* what) { return allreduce_scalar(*this, v, MPI_DOUBLE, MPI_SUM, what); }
int64_t Control::sum(int64_t v, const char* what) { return allreduce_scalar(*this, v, MPI_INT64_T, MPI_SUM, what); }
int Control::max(int v, const char* what) { return allreduce_scalar(*this, v, MPI_INT, MPI_MAX, what); }

std::vector<uint64_t> Control::allgather(uint64_t v, const char* what) {
  if (!world_.mpi) return {v};
  std::vector<uint64_t> out(static_cast<size_t>(world_.size));
  MPI_Request r;
  MPI_Iallgather(&v, 1, MPI_UINT64_T, out.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD, &r);
  wait_request(*this, r, what);
  return out;
}

std::vector<std::vector<uint64_t>> Control::allgather(const std::vector<uint64_t>& v, const char* what) {
  if (!world_.mpi) return {v};
  std::vector<uint64_t> flat(v.size() * static_cast<size_t>(world_.size));
  MPI_Request r;
  MPI_Iallgather(v.data(), static_cast<int>(v.size()), MPI_UINT64_T, flat.data(), static_cast<int>(v.size()),
                 MPI_UINT64_T, MPI_COMM_WORLD, &r);
  wait_request(*this, r, what);
  std::vector<std::vector<uint64_t>> out;
  for (int k = 0; k < world_.size; ++k)
    out.emplace_back(flat.begin() + static_cast<long>(k * v.size()), flat.begin() + static_cast<long>((k + 1) * v.size()));
  return out;
}

std::vector<std::string> Control::allgather_bytes(const std::string& mine, const char* what) {
  if (!world_.mpi) return {mine};
  const auto sizes = allgather(static_cast<uint64_t>(mine.size()), what);
  std::vector<int> counts, displs;
  int total = 0;
  for (auto n : sizes) {
    counts.push_back(static_cast<int>(n));
    displs.push_back(total);
    total += static_cast<int>(n);
  }
  std::string flat(static_cast<size_t>(total), '\0');
  MPI_Request r;
  MPI_Iallgatherv(mine.data(), static_cast<int>(mine.size()), MPI_CHAR, flat.data(), counts.data(), displs.data(),
                  MPI_CHAR, MPI_COMM_WORLD, &r);
  wait_request(*this, r, what);
  std::vector<std::string> out;
  for (size_t k = 0; k < counts.size(); ++k) out.push_back(flat.substr(static_cast<size_t>(displs[k]), static_cast<size_t>(counts[k])));
  return out;
}

std::string Control::broadcast(const std::string& s, const char* what) {
  if (!world_.mpi) return s;
  uint64_t n = s.size();
  MPI_Request r;
  MPI_Ibcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, &r);
  wait_request(*this, r, what);
  std::string out = is_root() ? s : std::string(n, '\0');
  MPI_Ibcast(out.data(), static_cast<int>(n), MPI_CHAR, 0, MPI_COMM_WORLD, &r);
  wait_request(*this, r, what);
  return out;
}

struct Control::PendingSum::State {
  Control* control;
  std::vector<int64_t> values;
  MPI_Request req = MPI_REQUEST_NULL;
  std::string what;
  bool done = false;
};

Control::PendingSum::PendingSum(std::unique_ptr<State> s) : state_(std::move(s)) {}
Control::PendingSum::PendingSum(PendingSum&&) noexcept = default;
Control::PendingSum::~PendingSum() {
  // Never leave MPI writing into freed memory: a sum that was started is always completed.
  if (state_ && !state_->done && state_->req != MPI_REQUEST_NULL) wait();
}

std::vector<int64_t> Control::PendingSum::wait() {
  if (!state_->done && state_->req != MPI_REQUEST_NULL) wait_request(*state_->control, state_->req, state_->what);
  state_->done = true;
  return state_->values;
}

Control::PendingSum Control::start_reduce(std::vector<int64_t> values, const char* what, bool bitwise_or) {
  auto st = std::make_unique<PendingSum::State>(PendingSum::State{this, std::move(values), MPI_REQUEST_NULL, what});
  if (world_.mpi && !st->values.empty())
    MPI_Iallreduce(MPI_IN_PLACE, st->values.data(), static_cast<int>(st->values.size()), MPI_INT64_T,
                   bitwise_or ? MPI_BOR : MPI_SUM, MPI_COMM_WORLD, &st->req);
  return PendingSum(std::move(st));
}

Control::PendingSum Control::start_sum(std::vector<int64_t> values, const char* what) {
  return start_reduce(std::move(values), what, false);
}

Control::PendingSum Control::start_or(std::vector<int64_t> values, const char* what) {
  return start_reduce(std::move(values), what, true);
}

void Control::barrier(const char* what) {
  if (!world_.mpi) return;
  MPI_Request r;
  MPI_Ibarrier(MPI_COMM_WORLD, &r);
  wait_request(*this, r, what);
}

}  // namespace jepa::distributed
