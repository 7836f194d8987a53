#pragma once
// Which GPU a rank uses, and which physical GPU that is (design.md §5).
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jepa::distributed {

// Makes visible GPU `index` this process's current device (LibTorch's and the CUDA runtime's), once at start-up, so
// that raw CUDA/NCCL calls outside a device guard do not create contexts on GPU 0. A no-op in builds without CUDA.
void select_gpu(int index);

// The physical identity of visible GPU `index`: its PCI domain:bus:device id (e.g. "0000:3b:00.0"), the same in
// every process that sees that GPU, whatever its index there (CUDA_VISIBLE_DEVICES, Slurm --gpus-per-task).
// Without CUDA support in this build: "cuda:<index>".
std::string gpu_identity(int index);

// The first pair of ranks (a < b) holding equal entries, if any: two ranks on one GPU when entries are
// "<host>:<gpu_identity>".
std::optional<std::pair<size_t, size_t>> first_duplicate(const std::vector<std::string>& entries);

}  // namespace jepa::distributed
