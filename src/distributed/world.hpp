#pragma once
// Who we are: rank, world size and node-local rank. From MPI when launched by mpirun/srun; a plain
// `jepa_dist` (no launcher in the environment) runs as world size 1 without touching MPI at all.
#include <string>

namespace jepa::distributed {

struct World {
  int rank = 0;
  int size = 1;
  int local_rank = 0;
  int local_size = 1;
  std::string host;
  bool mpi = false;  // MPI initialised (collectives available)
};

// Initialises MPI (thread level SERIALIZED) when a launcher started us; finalises on destruction.
class Session {
 public:
  Session(int* argc, char*** argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  const World& world() const { return world_; }

 private:
  World world_;
};

// True when the environment shows an MPI/PMI launcher (mpirun, srun --mpi=pmix, ...).
bool launched_by_mpi();

// Ends every rank of the job now (MPI_Abort), or the process when there is no MPI.
[[noreturn]] void abort_job(int code);

}  // namespace jepa::distributed
