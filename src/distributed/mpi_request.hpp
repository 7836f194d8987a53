#pragma once
// Internal to src/distributed: waiting for a non-blocking MPI request under the control timeout. The only header
// that names MPI types; public headers (control.hpp, communicator.hpp) stay MPI-free.
#include <mpi.h>

#include <string>

#include "distributed/control.hpp"

namespace jepa::distributed {

inline void wait_request(Control& control, MPI_Request& req, const std::string& what) {
  control.wait([&req] {
    int done = 0;
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    return done != 0;
  }, what);
}

}  // namespace jepa::distributed
