#pragma once
// Process-level pieces the trainer and tools share: device choice, thread count, stop signals, and the default
// CPU generator's state (checkpointed per rank so a resumed run draws the same dropout masks).
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace jepa::train {

// device string (auto|cpu|cuda|cuda:N) -> device; auto/cuda pick GPU local_rank % GPUs. "cuda" without a GPU is an error.
torch::Device pick_device(const std::string& name, int local_rank = 0);
// Intra-op threads (train.threads = 0): this process's allowed CPUs (`mine`, ascending) divided by the number of
// ranks on its host whose allowed CPUs overlap them (`host_ranks`: every rank on the host, itself included), so N
// ranks never oversubscribe and a rank bound to its own cores uses all of them; `requested` when > 0.
int choose_threads(int64_t requested, const std::vector<int>& mine, const std::vector<std::vector<int>>& host_ranks);
// The CPUs in this process's affinity mask, ascending (empty if unknown).
std::vector<int> allowed_cpus();

// SIGTERM / SIGUSR1 ask for a checkpoint and a clean exit at the next step boundary.
void install_stop_signals();
bool stop_requested();

// A device's default generator state as bytes (CPU, or the CUDA generator of that GPU: dropout on the GPU draws from
// it), and restoring it from a saved uint8 tensor.
std::string generator_state(const torch::Device& device);
void set_generator_state(const torch::Device& device, const torch::Tensor& state);
std::string cpu_generator_state();
void set_cpu_generator_state(const torch::Tensor& state);
// Key of rank `rank`'s generator state in rng_state.safetensors: "<kind>" (rank 0), "<kind>.rank<N>"; kind = cpu|cuda.
std::string rng_key(int rank, const std::string& kind = "cpu");

// FNV-1a over a tensor's raw bytes: bit-exact comparison of weights across ranks.
uint64_t tensor_hash(const torch::Tensor& t);

// bf16 autocast on CUDA for the forward passes of one step (RAII); a no-op when `on` is false.
class Autocast {
 public:
  explicit Autocast(bool on);
  ~Autocast();
  Autocast(const Autocast&) = delete;
  Autocast& operator=(const Autocast&) = delete;

 private:
  bool on_;
};

}  // namespace jepa::train
