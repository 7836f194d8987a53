#pragma once
// The data plane: in-place sum all-reduce and broadcast of device tensors. Two backends behind this interface:
// MPI (CPU tensors; device tensors are staged through host memory) and NCCL (CUDA tensors, own stream).
#include <memory>
#include <string>

#include <torch/types.h>

#include "distributed/control.hpp"

namespace jepa::distributed {

// A launched collective. wait() makes its result visible to later work on the tensor's device
// (NCCL: the compute stream waits on an event, the host does not block) and enforces dist.timeout_s.
class Work {
 public:
  virtual ~Work() = default;
  virtual void wait() = 0;
  // Lets the library progress the collective without blocking (MPI's non-blocking collectives only advance
  // inside MPI calls); called while backward is still producing gradients.
  virtual void poll() {}
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual std::string name() const = 0;
  // Starts an in-place sum over all ranks; `what` names it in timeout messages.
  virtual std::unique_ptr<Work> allreduce_sum(torch::Tensor tensor, const std::string& what) = 0;
  // In place, root's values to every rank; blocking.
  virtual void broadcast(torch::Tensor tensor, int root, const std::string& what) = 0;
};

// backend: auto (nccl for CUDA devices when built with NCCL, else mpi) | mpi | nccl. World size 1 -> a no-op backend.
std::unique_ptr<Communicator> make_communicator(const std::string& backend, Control& control, const torch::Device& device);

// Whether this build has the NCCL backend.
bool nccl_available();

}  // namespace jepa::distributed
