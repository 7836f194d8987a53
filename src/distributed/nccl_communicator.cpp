// NCCL backend (design.md §5, after llm.c): rank 0 makes the ncclUniqueId, MPI broadcasts it, every rank creates a
// non-blocking communicator (ncclCommInitRankConfig, blocking = 0) on its local GPU, polled against dist.timeout_s. All-reduces run on a dedicated stream that first waits (CUDA event) for the
// compute stream; wait() makes the compute stream wait for the result and enforces dist.timeout_s by aborting the
// communicator instead of hanging.
#include "distributed/backends.hpp"

#ifdef JEPA_WITH_NCCL
#include <cuda_runtime.h>
#include <nccl.h>

#include "distributed/mpi_request.hpp"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <chrono>
#include <exception>
#include <optional>
#include <thread>
#include <torch/torch.h>

namespace jepa::distributed {
namespace {

void check_nccl(ncclResult_t r, const char* what) {
  if (r != ncclSuccess) throw std::runtime_error(std::string("NCCL ") + what + ": " + ncclGetErrorString(r));
}
void check_cuda(cudaError_t r, const char* what) {
  if (r != cudaSuccess) throw std::runtime_error(std::string("CUDA ") + what + ": " + cudaGetErrorString(r));
}

ncclDataType_t nccl_type(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat32: return ncclFloat32;
    case torch::kFloat64: return ncclFloat64;
    case torch::kBFloat16: return ncclBfloat16;
    case torch::kFloat16: return ncclFloat16;
    case torch::kInt64: return ncclInt64;
    case torch::kInt32: return ncclInt32;
    case torch::kUInt8: return ncclUint8;
    default: throw std::runtime_error(std::string("NCCL backend: unsupported dtype ") + c10::toString(t.scalar_type()));
  }
}

class NcclCommunicator;

class NcclWork : public Work {
 public:
  NcclWork(NcclCommunicator& owner, cudaEvent_t done, std::string what) : owner_(owner), done_(done), what_(std::move(what)) {}
  ~NcclWork() override { cudaEventDestroy(done_); }
  void wait() override;

 private:
  NcclCommunicator& owner_;
  cudaEvent_t done_;
  std::string what_;
};

class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator(Control& control, const torch::Device& device) : control_(control), device_(device) {
    const auto& w = control.world();
    ncclUniqueId id;
    if (w.rank == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    if (w.mpi) {
      MPI_Request req;
      MPI_Ibcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD, &req);
      wait_request(control, req, "nccl unique id broadcast");
    }
    c10::cuda::CUDAGuard guard(device_);
    // Non-blocking: a rank that never joins cannot hang start-up; settle() polls against dist.timeout_s.
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    const auto r = ncclCommInitRankConfig(&comm_, w.size, id, w.rank, &config);
    if (r != ncclSuccess && r != ncclInProgress) {
      if (comm_) ncclCommAbort(comm_);
      comm_ = nullptr;
      check_nccl(r, "ncclCommInitRankConfig");
    }
    settle("NCCL communicator initialisation");
    stream_ = c10::cuda::getStreamFromPool(/*isHighPriority=*/true, device_.index());
  }
  ~NcclCommunicator() override {
    if (!comm_) return;
    // Leaving because of an error: a peer may be gone, and ncclCommDestroy could wait for it forever.
    if (std::uncaught_exceptions() > 0) ncclCommAbort(comm_);
    else ncclCommDestroy(comm_);
  }
  std::string name() const override { return "nccl"; }

  std::unique_ptr<Work> allreduce_sum(torch::Tensor t, const std::string& what) override {
    c10::cuda::CUDAGuard guard(device_);
    TORCH_CHECK(t.is_cuda() && t.is_contiguous(), "NCCL all-reduce needs a contiguous CUDA tensor");
    auto compute = c10::cuda::getCurrentCUDAStream(device_.index());
    cudaEvent_t ready, done;
    check_cuda(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming), "event");
    check_cuda(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), "event");
    check_cuda(cudaEventRecord(ready, compute.stream()), "event record");
    check_cuda(cudaStreamWaitEvent(stream_->stream(), ready, 0), "stream wait");
    enqueued(ncclAllReduce(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t), ncclSum, comm_,
                           stream_->stream()),
             what);
    check_cuda(cudaEventRecord(done, stream_->stream()), "event record");
    cudaEventDestroy(ready);
    t.record_stream(*stream_);  // the caching allocator must not reuse the buffer before NCCL is done
    return std::make_unique<NcclWork>(*this, done, what);
  }

  void broadcast(torch::Tensor t, int root, const std::string& what) override {
    c10::cuda::CUDAGuard guard(device_);
    TORCH_CHECK(t.is_cuda() && t.is_contiguous(), "NCCL broadcast needs a contiguous CUDA tensor");
    auto compute = c10::cuda::getCurrentCUDAStream(device_.index());
    enqueued(ncclBroadcast(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t), root, comm_,
                           compute.stream()),
             what);
    cudaEvent_t done;
    check_cuda(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), "event");
    check_cuda(cudaEventRecord(done, compute.stream()), "event record");
    NcclWork(*this, done, what).wait();
  }

  // A non-blocking communicator's calls may return ncclInProgress: wait until the call has settled (the
  // communicator's state leaves ncclInProgress) within dist.timeout_s; any error aborts the communicator, then the job.
  void settle(const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(control_.timeout_s());
    while (true) {
      ncclResult_t state = ncclSuccess;
      const auto q = ncclCommGetAsyncError(comm_, &state);
      if (q != ncclSuccess) state = q;
      if (state == ncclSuccess) return;
      if (state != ncclInProgress) abort_and_fail(what + ": " + ncclGetErrorString(state));
      if (std::chrono::steady_clock::now() > deadline)
        abort_and_fail(what + " did not finish within dist.timeout_s (a rank did not join or hangs)");
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  void enqueued(ncclResult_t r, const std::string& what) {
    if (r == ncclInProgress) settle("NCCL '" + what + "'");
    else if (r != ncclSuccess) abort_and_fail("NCCL '" + what + "': " + ncclGetErrorString(r));
  }
  // Never ncclCommDestroy here: a peer may be gone. Abort unblocks this GPU, then the whole job ends.
  [[noreturn]] void abort_and_fail(const std::string& message) {
    if (comm_) ncclCommAbort(comm_);
    comm_ = nullptr;
    control_.fail(message);
  }

  // Polls until `done` completes; on timeout aborts the communicator (unblocking the GPU) and ends the job.
  void finish(cudaEvent_t done, const std::string& what) {
    auto compute = c10::cuda::getCurrentCUDAStream(device_.index());
    check_cuda(cudaStreamWaitEvent(compute.stream(), done, 0), "stream wait");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(control_.timeout_s());
    while (true) {
      const auto r = cudaEventQuery(done);
      if (r == cudaSuccess) return;
      if (r != cudaErrorNotReady) check_cuda(r, "event query");
      ncclResult_t async = ncclSuccess;
      ncclCommGetAsyncError(comm_, &async);
      if (async != ncclSuccess && async != ncclInProgress)
        abort_and_fail("NCCL error in '" + what + "': " + ncclGetErrorString(async));
      if (std::chrono::steady_clock::now() > deadline)
        abort_and_fail("NCCL collective '" + what + "' did not finish within dist.timeout_s");
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }

 private:
  Control& control_;
  torch::Device device_;
  ncclComm_t comm_ = nullptr;
  std::optional<c10::cuda::CUDAStream> stream_;
};

void NcclWork::wait() { owner_.finish(done_, what_); }

}  // namespace

bool nccl_available() { return true; }
std::unique_ptr<Communicator> make_nccl_communicator(Control& control, const torch::Device& device) {
  return std::make_unique<NcclCommunicator>(control, device);
}

}  // namespace jepa::distributed

#else  // built without NCCL

namespace jepa::distributed {
bool nccl_available() { return false; }
std::unique_ptr<Communicator> make_nccl_communicator(Control&, const torch::Device&) {
  throw std::runtime_error("this jepa_dist was built without NCCL (JEPA_WITH_NCCL=OFF)");
}
}  // namespace jepa::distributed

#endif
