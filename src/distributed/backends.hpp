#pragma once
// Backend constructors behind make_communicator (internal to src/distributed).
#include <memory>

#include "distributed/communicator.hpp"

namespace jepa::distributed {

std::unique_ptr<Communicator> make_mpi_communicator(Control& control);
std::unique_ptr<Communicator> make_local_communicator();
// Defined in nccl_communicator.cpp when built with NCCL; otherwise throws.
std::unique_ptr<Communicator> make_nccl_communicator(Control& control, const torch::Device& device);

}  // namespace jepa::distributed
