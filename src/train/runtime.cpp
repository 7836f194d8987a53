#include "train/runtime.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/autocast_mode.h>

#include <sched.h>

#include <algorithm>
#include <iterator>
#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>

namespace jepa::train {
namespace {
std::atomic<int> g_stop{0};
extern "C" void on_stop_signal(int) { g_stop.store(1); }
}  // namespace

torch::Device pick_device(const std::string& name, int local_rank) {
  const bool gpu = torch::cuda::is_available();
  if (name == "auto")
    return gpu ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % torch::cuda::device_count()))
               : torch::Device(torch::kCPU);
  torch::Device d(name);
  if (d.is_cuda() && !gpu)
    throw std::runtime_error("train.device=" + name + " but no CUDA device is available (use auto or cpu)");
  if (name == "cuda") d = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % torch::cuda::device_count()));
  return d;
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

int choose_threads(int64_t requested, const std::vector<int>& mine, const std::vector<std::vector<int>>& host_ranks) {
  if (requested > 0) return static_cast<int>(requested);
  const int machine = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (mine.empty()) return std::max(1, machine / std::max<int>(1, static_cast<int>(host_ranks.size())));
  // The ranks on this host whose CPU sets overlap this one's (itself included) share those CPUs: unbound ranks
  // split the machine; ranks a launcher bound to their own cores (srun --cpus-per-task, mpirun --bind-to core)
  // use all of theirs; ranks bound per socket split their socket.
  int sharing = 0;
  for (const auto& other : host_ranks) {
    std::vector<int> common;
    std::set_intersection(mine.begin(), mine.end(), other.begin(), other.end(), std::back_inserter(common));
    sharing += common.empty() ? 0 : 1;
  }
  return std::max(1, static_cast<int>(mine.size()) / std::max(1, sharing));
}

void install_stop_signals() {
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGUSR1, on_stop_signal);
}
bool stop_requested() { return g_stop.load() != 0; }

namespace {
at::Generator default_generator(const torch::Device& device) {
  return device.is_cuda() ? at::globalContext().defaultGenerator(device) : at::detail::getDefaultCPUGenerator();
}
}  // namespace

std::string generator_state(const torch::Device& device) {
  at::Generator gen = default_generator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  const auto st = gen.get_state();  // a CPU uint8 tensor for every device type
  return std::string(static_cast<const char*>(st.data_ptr()), static_cast<size_t>(st.numel()));
}

void set_generator_state(const torch::Device& device, const torch::Tensor& st) {
  at::Generator gen = default_generator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(st);
}

std::string cpu_generator_state() { return generator_state(torch::Device(torch::kCPU)); }
void set_cpu_generator_state(const torch::Tensor& st) { set_generator_state(torch::Device(torch::kCPU), st); }

std::string rng_key(int rank, const std::string& kind) { return rank == 0 ? kind : kind + ".rank" + std::to_string(rank); }

uint64_t tensor_hash(const torch::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU).contiguous();
  const auto* p = static_cast<const unsigned char*>(c.data_ptr());
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0, n = static_cast<size_t>(c.numel()) * c.element_size(); i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

Autocast::Autocast(bool on) : on_(on) {
  if (!on_) return;
  at::autocast::set_autocast_enabled(at::kCUDA, true);
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  at::autocast::increment_nesting();
}

Autocast::~Autocast() {
  if (!on_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(at::kCUDA, false);
}

}  // namespace jepa::train
