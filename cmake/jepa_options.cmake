# The torch wheel carries its own CUDA libraries (cuBLAS, cuDNN, NCCL, ...) in site-packages/nvidia/*/lib and
# finds them at run time through its RPATH. The linker must see the same copies (not the system toolkit's
# older NCCL), so point -rpath-link at them; our NCCL backend links that same libnccl.
get_filename_component(_torch_pkg "${TORCH_INSTALL_PREFIX}" ABSOLUTE)
file(GLOB JEPA_WHEEL_CUDA_LIBDIRS LIST_DIRECTORIES true "${_torch_pkg}/../nvidia/*/lib" "${_torch_pkg}/../nvidia/cu*/lib")
if(JEPA_WHEEL_CUDA_LIBDIRS)
  string(JOIN ":" _rl ${JEPA_WHEEL_CUDA_LIBDIRS})
  add_link_options("LINKER:-rpath-link,${_rl}")
endif()

# CUDA/NCCL: on by default wherever the toolkit exists, so GPU code always compiles and links here.
find_package(CUDAToolkit QUIET)
set(_jepa_cuda_default OFF)
if(CUDAToolkit_FOUND)
  set(_jepa_cuda_default ON)
endif()
option(JEPA_WITH_CUDA "Build CUDA code paths" ${_jepa_cuda_default})

find_path(NCCL_INCLUDE_DIR nccl.h HINTS "${_torch_pkg}/../nvidia/nccl/include" ${CUDAToolkit_INCLUDE_DIRS} NO_DEFAULT_PATH)
find_library(NCCL_LIBRARY NAMES nccl libnccl.so.2 NAMES_PER_DIR HINTS "${_torch_pkg}/../nvidia/nccl/lib" ${CUDAToolkit_LIBRARY_DIR} NO_DEFAULT_PATH)
set(_jepa_nccl_default OFF)
if(JEPA_WITH_CUDA AND NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
  set(_jepa_nccl_default ON)
endif()
option(JEPA_WITH_NCCL "Build the NCCL communicator backend" ${_jepa_nccl_default})
message(STATUS "jepa_dist: CUDA=${JEPA_WITH_CUDA} NCCL=${JEPA_WITH_NCCL} (${NCCL_LIBRARY})")

# Warnings for our code only (LibTorch headers are noisy).
set(JEPA_WARNINGS -Wall -Wextra -Wno-unused-parameter)
