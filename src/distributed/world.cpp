#include "distributed/world.hpp"

#include <mpi.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace jepa::distributed {

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

Session::Session(int* argc, char*** argv) {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  world_.host = host;
  if (!launched_by_mpi()) return;
  int provided = 0;
  // SERIALIZED: gradient hooks may issue MPI calls from autograd's thread while the main thread waits in backward().
  MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
  if (provided < MPI_THREAD_SERIALIZED) throw std::runtime_error("MPI library does not provide MPI_THREAD_SERIALIZED");
  world_.mpi = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_.size);
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world_.rank, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &world_.local_rank);
  MPI_Comm_size(node, &world_.local_size);
  MPI_Comm_free(&node);
}

Session::~Session() {
  if (world_.mpi) MPI_Finalize();
}

void abort_job(int code) {
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  if (initialised && !finalised) MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace jepa::distributed
