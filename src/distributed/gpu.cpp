#include "distributed/gpu.hpp"

#include <stdexcept>

#ifdef JEPA_WITH_NCCL  // the CUDA runtime is linked with the NCCL backend
#include <c10/cuda/CUDAFunctions.h>
#include <cuda_runtime.h>
#endif

namespace jepa::distributed {

void select_gpu(int index) {
#ifdef JEPA_WITH_NCCL
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(index));
  if (const auto r = cudaSetDevice(index); r != cudaSuccess)
    throw std::runtime_error("cannot select GPU " + std::to_string(index) + ": " + cudaGetErrorString(r));
#else
  (void)index;
#endif
}

std::string gpu_identity(int index) {
#ifdef JEPA_WITH_NCCL
  char bus[32] = {0};
  if (cudaDeviceGetPCIBusId(bus, sizeof(bus), index) == cudaSuccess) return bus;
#endif
  return "cuda:" + std::to_string(index);
}

std::optional<std::pair<size_t, size_t>> first_duplicate(const std::vector<std::string>& entries) {
  for (size_t a = 0; a < entries.size(); ++a)
    for (size_t b = a + 1; b < entries.size(); ++b)
      if (entries[a] == entries[b]) return std::make_pair(a, b);
  return std::nullopt;
}

}  // namespace jepa::distributed
