#include "distributed/world.hpp"

#include <mpi.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace jepa::distributed {

namespace {

// `name`'s value as a non-negative integer, or -1 (unset, empty, not a number).
long env_count(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return -1;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return *end == '\0' && n >= 0 ? n : -1;
}

// A launcher that started more processes than MPI sees (srun without --mpi=pmix, the mpirun of another MPI library
// than jepa_dist's, a launcher's variable left in the environment) leaves each process training alone, all into the
// same run.dir. Returns the reason to refuse, or "".
std::string launcher_mismatch(const World& w) {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"}) {
    const long n = env_count(v);
    if (n > 0 && n != w.size)
      return std::string("the launcher says ") + v + "=" + std::to_string(n) + " but MPI sees " + std::to_string(w.size) +
             " process(es): jepa_dist is linked against another MPI library than the launcher's, or " + v +
             " is left over in the environment";
  }
  const long procid = env_count("SLURM_PROCID");
  if (w.size == 1 && procid > 0)
    return "SLURM_PROCID=" + std::to_string(procid) + " but MPI sees a single process: Slurm started several tasks " +
           "without MPI wiring (use srun --mpi=pmix, see cluster/srun_jepa.sh); each would train alone into the same " +
           "run.dir";
  return "";
}

}  // namespace

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

Session::Session(int* argc, char*** argv) {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  world_.host = host;
  if (!launched_by_mpi()) {
    if (const auto why = launcher_mismatch(world_); !why.empty()) throw std::runtime_error(why);
    return;
  }
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
  if (const auto why = launcher_mismatch(world_); !why.empty()) {
    MPI_Finalize();  // every process fails alike (each sees its own world): no collective is left waiting
    world_.mpi = false;
    throw std::runtime_error(why);
  }
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
