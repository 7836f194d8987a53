#include "train/trainer.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "log/log.hpp"
#include "train/metrics.hpp"
#include "train/schedule.hpp"

namespace fs = std::filesystem;

namespace jepa::train {

torch::Device pick_device(const std::string& name) {
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  torch::Device d(name);
  if (d.is_cuda() && !torch::cuda::is_available())
    throw std::runtime_error("train.device=" + name + " but no CUDA device is available (use auto or cpu)");
  return d;
}

int choose_threads(int64_t requested, int local_ranks) {
  if (requested > 0) return static_cast<int>(requested);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, local_ranks));
}

Trainer::Trainer(config::Config cfg)
    : cfg_(std::move(cfg)), config_yaml_(config::to_yaml_string(cfg_)), device_(pick_device(cfg_.train.device)) {
  auto corpus = std::make_shared<data::CorpusReader>(cfg_.data.path);
  if (cfg_.data.vocab) corpus->check_vocab(data::sha256_file(*cfg_.data.vocab));
  corpus_ = corpus;
  const int64_t n_docs = cfg_.data.max_docs ? std::min(corpus_->size(), *cfg_.data.max_docs) : corpus_->size();
  if (cfg_.data.max_length > cfg_.model.max_positions)
    throw std::runtime_error("data.max_length " + std::to_string(cfg_.data.max_length) + " exceeds model.max_positions " +
                             std::to_string(cfg_.model.max_positions));
  loader_ = std::make_unique<data::Loader>(
      corpus_, data::DistributedSampler(n_docs, cfg_.train.batch_size, /*rank=*/0, /*world=*/1, static_cast<uint64_t>(cfg_.train.seed)),
      cfg_.data.max_length, data::MaskParams{cfg_.jepa.mask_ratio, cfg_.jepa.mean_span_len},
      static_cast<uint64_t>(cfg_.train.seed));

  torch::manual_seed(static_cast<uint64_t>(cfg_.train.seed));  // weight init and dropout
  model_ = std::make_unique<model::Jepa>(cfg_.model, cfg_.jepa, corpus_->meta().vocab_size);
  model_->to(device_);
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      model_->trainable_parameters(), torch::optim::AdamWOptions(cfg_.optim.lr)
                                          .betas({cfg_.optim.beta1, cfg_.optim.beta2})
                                          .eps(cfg_.optim.eps)
                                          .weight_decay(cfg_.optim.weight_decay));
  state_.global_batch = loader_->sampler().global_batch();
  resumed_from_ = resolve_resume(cfg_.train.resume, checkpoint_root());
  if (resumed_from_) {
    const int64_t gb = state_.global_batch;
    state_ = load_checkpoint(*resumed_from_, *model_, *optimizer_);
    if (state_.global_batch != gb)
      log::warn(log::strf("resuming with global batch %lld (checkpoint used %lld): the data order from here differs",
                          static_cast<long long>(gb), static_cast<long long>(state_.global_batch)));
    state_.global_batch = gb;
  }
}

Trainer::~Trainer() = default;

std::string Trainer::checkpoint_root() const { return (fs::path(cfg_.run.dir) / "checkpoints").string(); }

data::Batch Trainer::batch(int64_t step) const { return loader_->batch(step); }

StepStats Trainer::step(const data::Batch& host_batch) {
  const auto b = host_batch.to(device_);
  StepStats s;
  s.tokens = b.tokens;
  s.lr = cfg_.optim.lr * lr_factor(state_.step, cfg_.optim.warmup_steps, cfg_.train.steps);
  for (auto& group : optimizer_->param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(s.lr);

  model_->train(true);
  auto loss = model_->loss(b.masked_input_ids, b.input_ids, b.attention_mask, b.pred_mask);
  optimizer_->zero_grad();
  loss.backward();
  s.grad_norm = torch::nn::utils::clip_grad_norm_(model_->trainable_parameters(),
                                                  cfg_.optim.grad_clip > 0 ? cfg_.optim.grad_clip : INFINITY);
  optimizer_->step();
  s.ema_m = ema_momentum(state_.step, cfg_.train.steps, cfg_.jepa);
  model_->ema_update(s.ema_m);

  s.loss = loss.item<double>();
  state_.step += 1;
  state_.consumed_samples += state_.global_batch;
  return s;
}

std::string Trainer::save() {
  return save_checkpoint(checkpoint_root(), *model_, *optimizer_, state_, config_yaml_, cfg_.train.keep_checkpoints);
}

void Trainer::fit() {
  fs::create_directories(cfg_.run.dir);
  {
    std::ofstream(fs::path(cfg_.run.dir) / "config.yaml", std::ios::trunc) << config_yaml_;
  }
  log::init((fs::path(cfg_.run.dir) / "train.log").string());
  MetricsLog metrics((fs::path(cfg_.run.dir) / "metrics.jsonl").string(), state_.step);

  int64_t n_params = 0;
  for (const auto& p : model_->trainable_parameters()) n_params += p.numel();
  log::info(log::strf("jepa_dist: device %s | %d intra-op threads | %lld trainable parameters | corpus %s (%lld docs, %lld batches/epoch)",
                      device_.str().c_str(), torch::get_num_threads(), static_cast<long long>(n_params),
                      cfg_.data.path.c_str(), static_cast<long long>(corpus_->size()),
                      static_cast<long long>(loader_->sampler().batches_per_epoch())));
  if (resumed_from_)
    log::info(log::strf("resumed from %s at step %lld", resumed_from_->c_str(), static_cast<long long>(state_.step)));

  const auto start = std::chrono::steady_clock::now();
  auto window_start = start;
  const int64_t first_step = state_.step;
  StepStats last;
  while (state_.step < cfg_.train.steps) {
    last = step(batch(state_.step));
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
      log::info(log::strf("step %lld/%lld | loss %.4f | lr %.3e | %.0f tok/s | elapsed %s | eta %s",
                          static_cast<long long>(state_.step), static_cast<long long>(cfg_.train.steps), mean_loss,
                          last.lr, tok_s, format_duration(elapsed).c_str(),
                          format_duration(per_step * static_cast<double>(cfg_.train.steps - state_.step)).c_str()));
      metrics.write({{"step", state_.step}, {"loss", mean_loss}, {"lr", last.lr}, {"tokens_per_s", tok_s},
                     {"grad_norm", last.grad_norm}, {"ema_m", last.ema_m},
                     {"epoch", loader_->sampler().epoch_of(state_.step - 1)}, {"elapsed_s", elapsed}});
      state_.window_loss_sum = 0;
      state_.window_steps = 0;
      state_.window_tokens = 0;
      window_start = now;
    }
    if (state_.step % cfg_.train.save_every == 0 && state_.step < cfg_.train.steps)
      log::info("saved checkpoint " + save());
  }
  log::info("training done: final checkpoint " + save());
}

}  // namespace jepa::train
