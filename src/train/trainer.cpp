#include "train/trainer.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "data/rng.hpp"
#include "log/log.hpp"
#include "model/hf_config.hpp"
#include "train/collapse.hpp"
#include "train/metrics.hpp"
#include "train/schedule.hpp"

namespace fs = std::filesystem;

namespace jepa::train {
namespace {

std::atomic<int> g_stop{0};
extern "C" void on_stop_signal(int) { g_stop.store(1); }

uint64_t tensor_hash(const torch::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU).contiguous();
  const auto* p = static_cast<const unsigned char*>(c.data_ptr());
  uint64_t h = 1469598103934665603ULL;  // FNV-1a over the raw bytes: bit-exact comparison
  for (size_t i = 0, n = static_cast<size_t>(c.numel()) * c.element_size(); i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

std::string generator_state() {
  at::Generator gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  const auto st = gen.get_state();
  return std::string(static_cast<const char*>(st.data_ptr()), static_cast<size_t>(st.numel()));
}

void set_generator_state(const torch::Tensor& st) {
  at::Generator gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(st);
}

// bf16 autocast on CUDA for the forward passes of one step (RAII).
class Autocast {
 public:
  explicit Autocast(bool on) : on_(on) {
    if (!on_) return;
    at::autocast::set_autocast_enabled(at::kCUDA, true);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::increment_nesting();
  }
  ~Autocast() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(at::kCUDA, false);
  }

 private:
  bool on_;
};

std::string rng_key(int rank) { return rank == 0 ? "cpu" : "cpu.rank" + std::to_string(rank); }

// Collapse monitor: the target encoder (eval mode, fp32, no grad; weights after this step's EMA) on the original view
// of this rank's batch, mean-pooled over real tokens. One extra target forward per log step; no random numbers are
// drawn, so logging does not change training. nullopt for a batch of fewer than 2 rows.
std::optional<CollapseStats> target_collapse_stats(model::Jepa& model, const data::Batch& batch,
                                                   const torch::Device& device) {
  if (batch.input_ids.size(0) < 2) return std::nullopt;
  torch::NoGradGuard no_grad;
  auto& target = *model.target_encoder;
  const bool was_training = target.is_training();
  target.eval();
  const auto ids = batch.input_ids.to(device), mask = batch.attention_mask.to(device);
  const auto pooled = mean_pool(target.forward(ids, mask), mask);
  target.train(was_training);
  return collapse_stats(pooled);
}

// dist.fault = "<kind>@<rank>:<step>" (test-only): abort | hang | perturb_target.
Fault parse_fault(const std::string& s) {
  Fault f;
  if (s.empty() || s == "none") return f;
  const auto at = s.find('@'), colon = s.find(':');
  if (at == std::string::npos || colon == std::string::npos || colon < at)
    throw std::runtime_error("dist.fault '" + s + "' is not <abort|hang|perturb_target>@<rank>:<step>");
  f.kind = s.substr(0, at);
  f.rank = std::stoi(s.substr(at + 1, colon - at - 1));
  f.step = std::stoll(s.substr(colon + 1));
  if (f.kind != "abort" && f.kind != "hang" && f.kind != "perturb_target")
    throw std::runtime_error("dist.fault kind '" + f.kind + "' is not abort, hang or perturb_target");
  return f;
}

}  // namespace

void install_stop_signals() {
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGUSR1, on_stop_signal);
}
bool stop_requested() { return g_stop.load() != 0; }

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

int choose_threads(int64_t requested, int local_ranks) {
  if (requested > 0) return static_cast<int>(requested);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, local_ranks));
}

Trainer::Trainer(config::Config cfg, dist::Control* control)
    : cfg_(std::move(cfg)),
      config_yaml_(config::to_yaml_string(cfg_)),
      own_control_(control ? nullptr : std::make_unique<dist::Control>(dist::World{}, cfg_.dist.timeout_s)),
      control_(control ? control : own_control_.get()),
      device_(pick_device(cfg_.train.device, control_->world().local_rank)) {
  const auto& w = control_->world();
  fault_ = parse_fault(cfg_.dist.fault);  // validated early, on every rank
  if (cfg_.train.precision == "bf16" && !device_.is_cuda())
    throw std::runtime_error("train.precision=bf16 needs a CUDA device (device is " + device_.str() + "); use fp32 on CPU");

  auto corpus = std::make_shared<data::CorpusReader>(cfg_.data.path);
  if (cfg_.data.vocab) corpus->check_vocab(data::sha256_file(*cfg_.data.vocab));
  corpus_ = corpus;
  const int64_t n_docs = cfg_.data.max_docs ? std::min(corpus_->size(), *cfg_.data.max_docs) : corpus_->size();
  const auto seed = static_cast<uint64_t>(cfg_.train.seed);
  loader_ = std::make_unique<data::Loader>(corpus_, data::DistributedSampler(n_docs, cfg_.train.batch_size, w.rank, w.size, seed),
                                           cfg_.data.max_length,
                                           data::MaskParams{cfg_.jepa.mask_ratio, cfg_.jepa.mean_span_len}, seed);

  torch::manual_seed(seed);  // weight init (and dropout, single process)
  model_ = std::make_unique<model::Jepa>(cfg_.model, cfg_.jepa, corpus_->meta().vocab_size);
  // A model directory brings its own limits and vocabulary; the corpus must fit both.
  if (const auto* hf = model_->context_encoder->hf_config()) {
    if (cfg_.data.max_length > hf->max_positions)
      throw std::runtime_error("data.max_length " + std::to_string(cfg_.data.max_length) + " exceeds the model's " +
                               "max_position_embeddings " + std::to_string(hf->max_positions));
    const auto vocab = fs::path(cfg_.model.name) / "vocab.txt";
    if (fs::is_directory(cfg_.model.name) && fs::exists(vocab)) corpus_->check_vocab(data::sha256_file(vocab.string()));
  }
  model_->to(device_);
  if (device_.is_cuda() && w.size > 1 && cfg_.dist.backend != "mpi" && dist::nccl_available()) {
    // NCCL does not support two ranks on one GPU (it may hang): refuse before creating the communicator.
    const auto where = control_->allgather_bytes(w.host + ":" + device_.str(), "device check");
    for (size_t a = 0; a < where.size(); ++a)
      for (size_t b = a + 1; b < where.size(); ++b)
        if (where[a] == where[b])
          throw std::runtime_error("ranks " + std::to_string(a) + " and " + std::to_string(b) + " share GPU " + where[a] +
                                   ": NCCL needs one GPU per rank (launch at most as many ranks per node as GPUs)");
  }
  comm_ = dist::make_communicator(cfg_.dist.backend, *control_, device_);
  if (w.size > 1) {
    // Identical start: rank 0's context encoder + predictor go to everyone; each rank then copies its target locally.
    torch::NoGradGuard no_grad;
    for (auto& p : model_->trainable_parameters()) comm_->broadcast(p, 0, "initial weight broadcast");
    model_->sync_target();
    torch::manual_seed(data::derive_seed({seed, static_cast<uint64_t>(w.rank)}));  // per-rank dropout streams
  }
  optimizer_ = std::make_unique<FusedAdamW>(
      model_->trainable_parameters(), torch::optim::AdamWOptions(cfg_.optim.lr)
                                          .betas({cfg_.optim.beta1, cfg_.optim.beta2})
                                          .eps(cfg_.optim.eps)
                                          .weight_decay(cfg_.optim.weight_decay));
  if (comm_->name() != "local")
    reducer_ = std::make_unique<dist::GradReducer>(model_->trainable_parameters(), *comm_, cfg_.dist.bucket_mb,
                                                   cfg_.dist.overlap);
  state_.global_batch = loader_->sampler().global_batch();
  state_.world_size = w.size;

  // Rank 0 decides what to resume from (ranks may see a shared filesystem differently, e.g. NFS caches) and tells
  // everyone, so all ranks take the same path. Then every rank reads the same checkpoint files (read-only; no
  // broadcast of a large state) and check_sync() below proves the ranks agree.
  std::string decision;  // "R<dir>" resume, "F" fresh, "E<message>" error
  if (control_->is_root()) {
    try {
      const auto dir = resolve_resume(cfg_.train.resume, checkpoint_root());
      const auto existing = dir ? std::nullopt : latest_checkpoint(checkpoint_root());
      decision = dir ? "R" + *dir
                     : existing ? "Erun.dir '" + cfg_.run.dir + "' already holds checkpoints (latest: " + *existing +
                                      "); continue it with train.resume=auto or choose another run.dir"
                                : "F";
    } catch (const std::exception& e) {
      decision = std::string("E") + e.what();
    }
  }
  decision = control_->broadcast(decision, "resume decision");
  if (decision[0] == 'E') throw std::runtime_error(decision.substr(1));
  if (decision[0] == 'R') resumed_from_ = decision.substr(1);
  if (resumed_from_) {
    std::map<std::string, torch::Tensor> rng;
    const TrainerState fresh = state_;
    state_ = load_checkpoint(*resumed_from_, *model_, *optimizer_, &rng);
    if (state_.global_batch != fresh.global_batch)
      log::warn(log::strf("resuming with global batch %lld (checkpoint used %lld): the data order from here differs",
                          static_cast<long long>(fresh.global_batch), static_cast<long long>(state_.global_batch)));
    if (rng.count(rng_key(w.rank)) && state_.world_size == w.size)
      set_generator_state(rng.at(rng_key(w.rank)));
    else
      torch::manual_seed(data::derive_seed({seed, static_cast<uint64_t>(w.rank), static_cast<uint64_t>(state_.step)}));
    state_.global_batch = fresh.global_batch;
    state_.world_size = fresh.world_size;
    check_sync();
  }
}

Trainer::~Trainer() = default;

std::string Trainer::checkpoint_root() const { return (fs::path(cfg_.run.dir) / "checkpoints").string(); }

data::Batch Trainer::batch(int64_t step) const { return loader_->batch(step); }

StepStats Trainer::step(const data::Batch& host_batch) {
  const bool multi = control_->world().size > 1;
  control_->set_step(state_.step);
  apply_fault();
  const auto b = host_batch.to(device_);
  StepStats s;
  s.lr = cfg_.optim.lr * lr_factor(state_.step, cfg_.optim.warmup_steps, cfg_.train.steps);
  for (auto& group : optimizer_->param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(s.lr);
  // Several ranks: each divides its sum by the global masked count, so summed gradients equal one big batch's.
  const double denominator =
      multi ? static_cast<double>(std::max<int64_t>(1, control_->sum(b.pred_mask.sum().item<int64_t>(), "masked count")))
            : 0.0;

  model_->train(true);
  std::optional<torch::autograd::DetectAnomalyGuard> anomaly;
  if (cfg_.train.detect_anomaly) anomaly.emplace();
  torch::Tensor loss;
  {
    Autocast autocast(cfg_.train.precision == "bf16");
    loss = model_->loss(b.masked_input_ids, b.input_ids, b.attention_mask, b.pred_mask, denominator);
  }
  optimizer_->zero_grad();
  if (reducer_) reducer_->prepare();
  loss.backward();
  if (reducer_) reducer_->finish();  // every .grad is now the sum over ranks
  s.grad_norm = torch::nn::utils::clip_grad_norm_(model_->trainable_parameters(),
                                                  cfg_.optim.grad_clip > 0 ? cfg_.optim.grad_clip : INFINITY);
  optimizer_->step();
  s.ema_m = ema_momentum(state_.step, cfg_.train.steps, cfg_.jepa);
  model_->ema_update(s.ema_m);  // local on every rank: targets stay identical without communication

  s.loss = multi ? control_->sum(loss.item<double>(), "loss") : loss.item<double>();
  s.tokens = multi ? control_->sum(b.tokens, "token count") : b.tokens;
  state_.step += 1;
  state_.consumed_samples += state_.global_batch;
  return s;
}

void Trainer::apply_fault() {
  const Fault& f = fault_;
  if (f.rank != control_->world().rank || f.step != state_.step) return;
  log::error(log::strf("fault injection: %s on rank %d at step %lld", f.kind.c_str(), f.rank, static_cast<long long>(f.step)));
  log::flush();
  if (f.kind == "abort") std::abort();
  if (f.kind == "hang")
    while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
  torch::NoGradGuard no_grad;
  model_->target_encoder->parameters().front().add_(1e-3);
}

void Trainer::check_sync() {
  if (control_->world().size == 1) return;
  std::vector<std::string> names;
  std::vector<uint64_t> hashes;
  for (const auto& [name, t] : model_->state()) {
    names.push_back(name);
    hashes.push_back(tensor_hash(t));
  }
  const auto all = control_->allgather(hashes, "weight checksum");
  for (size_t r = 1; r < all.size(); ++r)
    for (size_t i = 0; i < names.size(); ++i)
      if (all[r][i] != all[0][i])
        control_->fail("weights out of sync at step " + std::to_string(state_.step) + ": tensor '" + names[i] +
                       "' differs between rank 0 and rank " + std::to_string(r));
}

std::string Trainer::save() {
  check_sync();
  const auto states = control_->allgather_bytes(generator_state(), "rng state gather");
  std::string path = (fs::path(checkpoint_root()) / checkpoint_name(state_.step)).string();
  if (control_->is_root()) {
    std::map<std::string, torch::Tensor> rng;
    for (size_t r = 0; r < states.size(); ++r)
      rng[rng_key(static_cast<int>(r))] =
          torch::from_blob(const_cast<char*>(states[r].data()), {static_cast<int64_t>(states[r].size())}, torch::kUInt8).clone();
    path = save_checkpoint(checkpoint_root(), *model_, *optimizer_, state_, config_yaml_, cfg_.train.keep_checkpoints, rng);
  }
  control_->barrier("checkpoint write");
  return path;
}

int64_t Trainer::fit() {
  const auto& w = control_->world();
  const fs::path run_dir(cfg_.run.dir);
  if (control_->is_root()) {
    fs::create_directories(run_dir);
    std::ofstream(run_dir / "config.yaml", std::ios::trunc) << config_yaml_;
  }
  control_->barrier("run directory");
  log::init((run_dir / (w.rank == 0 ? "train.log" : "train.rank" + std::to_string(w.rank) + ".log")).string(), w.rank,
            w.size);
  std::optional<MetricsLog> metrics;
  if (control_->is_root()) metrics.emplace((run_dir / "metrics.jsonl").string(), state_.step);

  int64_t n_params = 0;
  for (const auto& p : model_->trainable_parameters()) n_params += p.numel();
  const auto ranks = control_->allgather_bytes(
      log::strf("rank %d/%d | local rank %d/%d | host %s | device %s | %d threads", w.rank, w.size, w.local_rank,
                w.local_size, w.host.c_str(), device_.str().c_str(), torch::get_num_threads()),
      "rank description");
  for (const auto& r : ranks) log::info(r);
  log::info(log::strf("jepa_dist: %lld trainable parameters | backend %s | corpus %s (%lld docs, %lld batches/epoch of %lld)",
                      static_cast<long long>(n_params), comm_->name().c_str(), cfg_.data.path.c_str(),
                      static_cast<long long>(corpus_->size()), static_cast<long long>(loader_->sampler().batches_per_epoch()),
                      static_cast<long long>(state_.global_batch)));
  if (resumed_from_)
    log::info(log::strf("resumed from %s at step %lld", resumed_from_->c_str(), static_cast<long long>(state_.step)));

  const auto start = std::chrono::steady_clock::now();
  auto window_start = start;
  const int64_t first_step = state_.step;
  while (state_.step < cfg_.train.steps) {
    const data::Batch current = batch(state_.step);
    const StepStats last = step(current);
    state_.window_loss_sum += last.loss;
    state_.window_steps += 1;
    state_.window_tokens += last.tokens;
    if (state_.step % cfg_.train.log_every == 0) {
      const auto now = std::chrono::steady_clock::now();
      const double window_s = std::chrono::duration<double>(now - window_start).count();
      const double elapsed = std::chrono::duration<double>(now - start).count();
      const double per_step = elapsed / static_cast<double>(state_.step - first_step);
      const double mean_loss = state_.window_loss_sum / static_cast<double>(state_.window_steps);
      const double tok_s = static_cast<double>(state_.window_tokens) / std::max(window_s, 1e-9);
      // Each rank measures its own batch (no communication); metrics.jsonl holds rank 0's.
      const auto emb = target_collapse_stats(*model_, current, device_);
      const std::string emb_text =
          emb ? log::strf(" | rank %.1f std %.3f cos %.2f", emb->effective_rank, emb->std_mean, emb->mean_cosine) : "";
      log::info(log::strf("step %lld/%lld | loss %.4f | lr %.3e%s | %.0f tok/s | elapsed %s | eta %s",
                          static_cast<long long>(state_.step), static_cast<long long>(cfg_.train.steps), mean_loss,
                          last.lr, emb_text.c_str(), tok_s, format_duration(elapsed).c_str(),
                          format_duration(per_step * static_cast<double>(cfg_.train.steps - state_.step)).c_str()));
      if (emb && emb->std_mean < cfg_.monitor.min_std)
        log::warn(log::strf("collapse monitor: step %lld: emb_std_mean %.4g is below monitor.min_std %.4g (target "
                            "embeddings of %lld sequences)",
                            static_cast<long long>(state_.step), emb->std_mean, cfg_.monitor.min_std,
                            static_cast<long long>(emb->n)));
      if (emb && emb->effective_rank < cfg_.monitor.min_effective_rank)
        log::warn(log::strf("collapse monitor: step %lld: effective_rank %.4g is below monitor.min_effective_rank %.4g "
                            "(target embeddings of %lld sequences)",
                            static_cast<long long>(state_.step), emb->effective_rank, cfg_.monitor.min_effective_rank,
                            static_cast<long long>(emb->n)));
      if (metrics) {
        nlohmann::ordered_json rec = {{"step", state_.step}, {"loss", mean_loss}, {"lr", last.lr}, {"tokens_per_s", tok_s},
                                      {"tokens", state_.window_tokens},
                                      {"step_time_s", window_s / static_cast<double>(state_.window_steps)},
                                      {"grad_norm", last.grad_norm}, {"ema_m", last.ema_m},
                                      {"epoch", loader_->sampler().epoch_of(state_.step - 1)}, {"elapsed_s", elapsed}};
        if (emb) {
          rec["emb_std_mean"] = emb->std_mean;
          rec["emb_std_min"] = emb->std_min;
          rec["effective_rank"] = emb->effective_rank;
          rec["mean_cosine"] = emb->mean_cosine;
        }
        metrics->write(rec);
      }
      state_.window_loss_sum = 0;
      state_.window_steps = 0;
      state_.window_tokens = 0;
      window_start = std::chrono::steady_clock::now();  // tokens/s measures training, not this logging work
    }
    if (cfg_.dist.check_sync_every > 0 && state_.step % cfg_.dist.check_sync_every == 0) check_sync();
    // Ranks agree on stopping (a signal may reach only some of them), then checkpoint and leave cleanly.
    if (control_->max(stop_requested() ? 1 : 0, "stop flag")) {
      log::info(log::strf("stop requested: checkpointing at step %lld and exiting", static_cast<long long>(state_.step)));
      log::info("saved checkpoint " + save());
      return state_.step;
    }
    if (state_.step % cfg_.train.save_every == 0 && state_.step < cfg_.train.steps) log::info("saved checkpoint " + save());
  }
  if (state_.step == first_step && resumed_from_)
    log::info("nothing to do: the resumed checkpoint is already at train.steps");
  else
    log::info("training done: final checkpoint " + save());
  return state_.step;
}

}  // namespace jepa::train
