// MPI backend: non-blocking MPI_Iallreduce on host memory; CUDA tensors are staged through a host copy.
#include <mpi.h>

#include <torch/torch.h>

#include "distributed/communicator.hpp"
#include "distributed/backends.hpp"
#include "distributed/mpi_request.hpp"

namespace jepa::distributed {
namespace {

// MPI has no bfloat16: carry it as 16-bit words and sum with our own operation (fp32 add, rounded to nearest even,
// which is what c10::BFloat16's conversion does), for dist.grad_dtype=bf16 on CPU.
void bf16_sum(void* in, void* inout, int* len, MPI_Datatype*) {
  const auto* a = static_cast<const c10::BFloat16*>(in);
  auto* b = static_cast<c10::BFloat16*>(inout);
  for (int i = 0; i < *len; ++i) b[i] = c10::BFloat16(static_cast<float>(a[i]) + static_cast<float>(b[i]));
}

MPI_Op sum_op(const torch::Tensor& t) {
  if (t.scalar_type() != torch::kBFloat16) return MPI_SUM;
  static const MPI_Op op = [] {
    MPI_Op o;
    MPI_Op_create(&bf16_sum, /*commute=*/1, &o);
    return o;
  }();
  return op;
}

MPI_Datatype mpi_type(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat32: return MPI_FLOAT;
    case torch::kBFloat16: return MPI_UINT16_T;  // summed by sum_op()'s bf16_sum
    case torch::kFloat64: return MPI_DOUBLE;
    case torch::kInt64: return MPI_INT64_T;
    case torch::kInt32: return MPI_INT32_T;
    case torch::kUInt8: return MPI_UINT8_T;
    default: throw std::runtime_error(std::string("MPI backend: unsupported dtype ") + c10::toString(t.scalar_type()));
  }
}

class MpiWork : public Work {
 public:
  MpiWork(Control& control, torch::Tensor target, torch::Tensor host, std::string what)
      : control_(control), target_(std::move(target)), host_(std::move(host)), what_(std::move(what)) {
    MPI_Iallreduce(MPI_IN_PLACE, host_.data_ptr(), static_cast<int>(host_.numel()), mpi_type(host_), sum_op(host_),
                   MPI_COMM_WORLD, &req_);
  }
  void wait() override {
    wait_request(control_, req_, what_);  // returns at once for a request poll() already completed
    if (!host_.is_same(target_)) target_.copy_(host_);
  }
  void poll() override {
    int done = 0;
    MPI_Test(&req_, &done, MPI_STATUS_IGNORE);
  }

 private:
  Control& control_;
  torch::Tensor target_, host_;
  std::string what_;
  MPI_Request req_;
};

class MpiCommunicator : public Communicator {
 public:
  explicit MpiCommunicator(Control& control) : control_(control) {}
  std::string name() const override { return "mpi"; }

  std::unique_ptr<Work> allreduce_sum(torch::Tensor t, const std::string& what) override {
    TORCH_CHECK(t.is_contiguous(), "allreduce needs a contiguous tensor");
    auto host = t.is_cpu() ? t : t.to(torch::kCPU);
    return std::make_unique<MpiWork>(control_, t, host, what);
  }

  void broadcast(torch::Tensor t, int root, const std::string& what) override {
    TORCH_CHECK(t.is_contiguous(), "broadcast needs a contiguous tensor");
    auto host = t.is_cpu() ? t : t.to(torch::kCPU);
    MPI_Request req;
    MPI_Ibcast(host.data_ptr(), static_cast<int>(host.numel()), mpi_type(host), root, MPI_COMM_WORLD, &req);
    wait_request(control_, req, what);
    if (!host.is_same(t)) t.copy_(host);
  }

 private:
  Control& control_;
};

class LocalWork : public Work {
 public:
  void wait() override {}
};

// World size 1: nothing to exchange.
class LocalCommunicator : public Communicator {
 public:
  std::string name() const override { return "local"; }
  std::unique_ptr<Work> allreduce_sum(torch::Tensor, const std::string&) override { return std::make_unique<LocalWork>(); }
  void broadcast(torch::Tensor, int, const std::string&) override {}
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_communicator(Control& control) { return std::make_unique<MpiCommunicator>(control); }
std::unique_ptr<Communicator> make_local_communicator() { return std::make_unique<LocalCommunicator>(); }

std::unique_ptr<Communicator> make_communicator(const std::string& backend, Control& control, const torch::Device& device) {
  if (backend != "auto" && backend != "mpi" && backend != "nccl")
    throw std::runtime_error("dist.backend '" + backend + "' is not one of auto, mpi, nccl");
  if (backend == "nccl" && !nccl_available())
    throw std::runtime_error("dist.backend=nccl but this build has no NCCL (configure with JEPA_WITH_NCCL=ON)");
  if (backend == "nccl" && !device.is_cuda())
    throw std::runtime_error("dist.backend=nccl needs a CUDA device (train.device is " + device.str() + ")");
  // An explicit nccl runs NCCL even for one rank (that is how its single-GPU check exercises it).
  if (backend == "nccl") return make_nccl_communicator(control, device);
  if (control.world().size == 1 || !control.world().mpi) return make_local_communicator();
  const bool nccl = backend == "auto" && device.is_cuda() && nccl_available();
  return nccl ? make_nccl_communicator(control, device) : make_mpi_communicator(control);
}

}  // namespace jepa::distributed
