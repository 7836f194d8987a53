#include "train/trainer.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>
#include <tuple>

#include "data/paired_batch.hpp"
#include "data/prefetch.hpp"
#include "data/rng.hpp"
#include "distributed/gpu.hpp"
#include "log/log.hpp"
#include "model/hf_config.hpp"
#include "train/schedule.hpp"

namespace fs = std::filesystem;

namespace jepa::train {

Trainer::Trainer(config::Config cfg, distributed::Control* control)
    : cfg_(std::move(cfg)),
      config_yaml_(config::to_yaml_string(cfg_)),
      fault_(config::parse_fault(cfg_.dist.fault)),
      own_control_(control ? nullptr
                           : std::make_unique<distributed::Control>(distributed::World{}, cfg_.dist.timeout_s,
                                                                    cfg_.dist.io_timeout_s)),
      control_(control ? control : own_control_.get()),
      device_(pick_device(cfg_.train.device, control_->world().local_rank)),
      profiler_(cfg_.train.profile, device_) {
  if (device_.is_cuda()) distributed::select_gpu(device_.index());  // before any CUDA work of this process
  if (cfg_.train.precision == "bf16" && !device_.is_cuda())
    throw std::runtime_error("train.precision=bf16 needs a CUDA device (device is " + device_.str() + "); use fp32 on CPU");
  objective_ = objective::make_objective(cfg_);  // an unknown train.objective fails before any file is opened
  distributed::IoScope io(*control_);  // start-up reads files (corpus, /offsets, checkpoints): the I/O deadline
  build_data();
  build_model();
  build_communicator();
  build_optimizer();
  state_.global_batch = loader_->sampler().global_batch();
  state_.world_size = control_->world().size;
  restore();
}

Trainer::~Trainer() = default;

// The corpus and this rank's view of it (design.md §3).
void Trainer::build_data() {
  const auto& w = control_->world();
  auto corpus = std::make_shared<data::CorpusReader>(cfg_.data.path);
  if (cfg_.data.vocab) corpus->check_vocab_file(*cfg_.data.vocab, "data.vocab");
  corpus_ = corpus;
  int64_t n_docs = cfg_.data.max_docs ? std::min(corpus_->size(), *cfg_.data.max_docs) : corpus_->size();
  const auto seed = static_cast<uint64_t>(cfg_.train.seed);
  const data::MaskParams mask{cfg_.jepa.mask_ratio, cfg_.jepa.mean_span_len};
  const auto& ev = cfg_.eval;
  const bool llm = cfg_.train.objective == "llm_jepa";
  if (corpus_->meta().paired() != llm)
    throw std::runtime_error(llm ? "train.objective=llm_jepa needs a paired corpus (jepa_prep --paired); data.path '" +
                                       cfg_.data.path + "' holds plain documents"
                                 : "data.path '" + cfg_.data.path + "' is a paired corpus (text/code examples): train "
                                       "it with train.objective=llm_jepa");
  if (llm && ev.every > 0)
    throw std::runtime_error("eval.every > 0 scores the encoder JEPA's held-out loss; with train.objective=llm_jepa "
                             "evaluate checkpoints with jepa_eval --task regex");
  if (ev.every > 0 && ev.data.empty()) {  // hold out the corpus's last eval.docs documents: never trained on
    if (n_docs - ev.docs < cfg_.train.batch_size * cfg_.train.grad_accum * w.size)
      throw std::runtime_error("eval.docs " + std::to_string(ev.docs) + " held out of the training corpus's " +
                               std::to_string(n_docs) + " documents leaves less than one global batch; lower eval.docs "
                               "or set eval.data");
    n_docs -= ev.docs;
    if (w.rank == 0)
      heldout_ = std::make_unique<HeldoutEval>(*corpus_, n_docs, ev.docs, ev.batch_size, cfg_.data.max_length, mask, seed);
  } else if (ev.every > 0 && w.rank == 0) {
    const data::CorpusReader held(ev.data);
    if (held.meta().vocab_size != corpus_->meta().vocab_size)
      throw std::runtime_error("eval.data '" + ev.data + "' has vocab_size " + std::to_string(held.meta().vocab_size) +
                               ", the training corpus " + std::to_string(corpus_->meta().vocab_size));
    if (held.size() < ev.docs)
      throw std::runtime_error("eval.data '" + ev.data + "' has " + std::to_string(held.size()) +
                               " documents, fewer than eval.docs " + std::to_string(ev.docs));
    heldout_ = std::make_unique<HeldoutEval>(held, 0, ev.docs, ev.batch_size, cfg_.data.max_length, mask, seed);
  }
  // Each step reads this rank's grad_accum x batch_size documents; step() splits them into micro-batches.
  const int64_t per_rank = cfg_.train.batch_size * cfg_.train.grad_accum;
  data::DistributedSampler sampler(n_docs, per_rank, w.rank, w.size, seed);
  if (cfg_.data.group_by_length) {
    // Bodies are cut to max_length - 2 (longer ones pad alike); paired examples are never cut.
    const int64_t cap = corpus_->meta().paired() ? std::numeric_limits<int64_t>::max() : cfg_.data.max_length - 2;
    sampler.group_by_length(cfg_.data.length_window, [corpus = corpus_, cap](const std::vector<int64_t>& docs) {
      auto len = corpus->lengths(docs);
      for (auto& l : len) l = std::min(l, cap);
      return len;
    });
  }
  if (llm) {  // LLM-JEPA batches: full examples + the two views (design.md §9)
    data::PairedParams p;
    p.pred_tokens = cfg_.jepa.pred_tokens;
    p.packed = cfg_.jepa.packed;
    p.left_pad = cfg_.data.padding_side == "left";
    p.views = cfg_.jepa.lambda > 0;
    const auto& sp = corpus_->meta().special;
    p.bos = sp.cls;
    p.pad = sp.pad;
    p.pred = sp.mask;
    loader_ = std::make_unique<data::Loader>(corpus_, std::move(sampler), p);
    return;
  }
  loader_ = std::make_unique<data::Loader>(corpus_, std::move(sampler), cfg_.data.max_length, mask, seed);
}

// The model from train.seed (design.md §1.3), on this rank's device.
void Trainer::build_model() {
  torch::manual_seed(static_cast<uint64_t>(cfg_.train.seed));  // weight init (and dropout, single process)
  model_ = model::Jepa(cfg_.model, cfg_.jepa, corpus_->meta().vocab_size);
  if (model_->is_decoder() != (cfg_.train.objective == "llm_jepa"))
    throw std::runtime_error(model_->is_decoder()
                                 ? "model.name=llama is a decoder: train it with train.objective=llm_jepa"
                                 : "train.objective=llm_jepa needs a decoder: set model.name=llama (e.g. model=llama_tiny)");
  // A model directory brings its own limits and vocabulary; the corpus must fit both.
  if (const auto* hf = model_->context_encoder->hf_config()) {
    if (cfg_.data.max_length > hf->max_positions)
      throw std::runtime_error("data.max_length " + std::to_string(cfg_.data.max_length) + " exceeds the model's " +
                               "max_position_embeddings " + std::to_string(hf->max_positions));
    const auto vocab = fs::path(cfg_.model.name) / "vocab.txt";
    if (fs::is_directory(cfg_.model.name) && fs::exists(vocab))
      corpus_->check_vocab_file(vocab.string(), "the model directory's vocabulary");
  }
  model_->to(device_);
}

// The data plane, and an identical start on every rank (design.md §5).
void Trainer::build_communicator() {
  const auto& w = control_->world();
  if (device_.is_cuda() && w.size > 1 && cfg_.dist.backend != "mpi" && distributed::nccl_available()) {
    // NCCL does not support two ranks on one GPU (it may hang): refuse before creating the communicator. Compare
    // physical GPUs: with one visible GPU per task every rank calls its GPU cuda:0.
    const auto where = control_->allgather_bytes(w.host + ":" + distributed::gpu_identity(device_.index()), "device check");
    if (const auto dup = distributed::first_duplicate(where))
      throw std::runtime_error("ranks " + std::to_string(dup->first) + " and " + std::to_string(dup->second) +
                               " share GPU " + where[dup->first] +
                               ": NCCL needs one GPU per rank (launch at most as many ranks per node as GPUs)");
  }
  comm_ = distributed::make_communicator(cfg_.dist.backend, *control_, device_);
  if (w.size > 1)  // terms over the global batch (e.g. VICReg's covariance) reduce their statistics here
    objective_->bind({w.rank, w.size, [this](const torch::Tensor& t) {
                        auto global = t.detach().clone().contiguous();
                        comm_->allreduce_sum(global, "objective statistics")->wait();
                        return global;
                      }});
  if (w.size > 1) {
    // Rank 0's context encoder + predictor go to everyone; each rank then copies its target locally.
    torch::NoGradGuard no_grad;
    for (auto& p : model_->trainable_parameters()) comm_->broadcast(p, 0, "initial weight broadcast");
    model_->sync_target();
    const auto seed = static_cast<uint64_t>(cfg_.train.seed);
    torch::manual_seed(data::derive_seed({seed, static_cast<uint64_t>(w.rank)}));  // per-rank dropout streams
  }
}

void Trainer::build_optimizer() {
  const auto& o = cfg_.optim;
  const auto options = torch::optim::AdamWOptions(o.lr).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(o.weight_decay);
  if (model_->is_decoder() && o.predictor_lr_mult != 1.0)
    throw std::runtime_error("optim.predictor_lr_mult applies to the encoder JEPA's predictor; model.name=llama has "
                             "none (the decoder is its own predictor)");
  if (o.predictor_lr_mult == 1.0) {
    optimizer_ = std::make_unique<FusedAdamW>(model_->trainable_parameters(), options);
  } else {  // two groups, encoder then predictor; set_learning_rate() scales the second
    std::vector<torch::Tensor> encoder;
    for (const auto& p : model_->context_encoder->parameters())
      if (p.requires_grad()) encoder.push_back(p);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(encoder, std::make_unique<torch::optim::AdamWOptions>(options));
    groups.emplace_back(model_->predictor->parameters(), std::make_unique<torch::optim::AdamWOptions>(options));
    optimizer_ = std::make_unique<FusedAdamW>(std::move(groups), options);
  }
  if (comm_->name() != "local") {
    const auto params = model_->trainable_parameters();
    std::optional<size_t> sparse;  // the context encoder's token embedding (design.md §5)
    const auto emb = model_->context_encoder->token_embedding();
    const bool sparse_on = cfg_.dist.sparse_embedding && objective_->names_context_ids();
    for (size_t k = 0; k < params.size() && sparse_on; ++k)
      if (params[k].is_same(emb)) sparse = k;
    reducer_ = std::make_unique<distributed::GradReducer>(
        params, *comm_, cfg_.dist.bucket_mb, cfg_.dist.overlap,
        cfg_.dist.grad_dtype == "bf16" ? torch::kBFloat16 : torch::kFloat32, sparse);
  }
}

// Rank 0 decides what to resume from (ranks may see a shared filesystem differently, e.g. NFS caches) and tells
// everyone, so all ranks take the same path. Then every rank reads the same checkpoint files (read-only; no
// broadcast of a large state) and check_sync() proves the ranks agree (design.md §6).
void Trainer::restore() {
  const auto& w = control_->world();
  std::string decision;  // "R<dir>" resume, "F" fresh, "E<message>" error
  if (control_->is_root()) {
    try {
      for (const auto& stale : remove_stale_temporaries(checkpoint_root()))
        resume_notes_.push_back("removed the temporary directory of an interrupted checkpoint write: " + stale);
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
  if (decision[0] != 'R') return;
  resumed_from_ = decision.substr(1);

  std::map<std::string, torch::Tensor> rng;
  const TrainerState fresh = state_;
  std::vector<torch::optim::AdamWOptions> configured;
  for (auto& group : optimizer_->param_groups())
    configured.push_back(static_cast<torch::optim::AdamWOptions&>(group.options()));
  state_ = load_checkpoint(*resumed_from_, *model_, *optimizer_, &rng);
  for (const auto& line : keep_configured_hyperparameters(*optimizer_, configured))
    resume_notes_.push_back("resume: " + line + "; using the config's value");
  if (state_.data_order != TrainerState::kDataOrder)
    resume_notes_.push_back(log::strf("the checkpoint was written with data order %lld (a materialised Fisher-Yates "
                                      "shuffle); this build orders epochs with a keyed permutation (order %lld), so "
                                      "the rest of epoch %lld visits documents in another order",
                                      static_cast<long long>(state_.data_order),
                                      static_cast<long long>(TrainerState::kDataOrder),
                                      static_cast<long long>(loader_->sampler().epoch_of(state_.step))));
  state_.data_order = TrainerState::kDataOrder;
  if (state_.global_batch != fresh.global_batch)
    log::warn(log::strf("resuming with global batch %lld (checkpoint used %lld): the data order from here differs",
                        static_cast<long long>(fresh.global_batch), static_cast<long long>(state_.global_batch)));
  const bool same_ranks = state_.world_size == w.size;
  if (same_ranks && device_.is_cuda() && rng.count(rng_key(w.rank, "cuda")))  // GPU dropout draws from this one
    set_generator_state(device_, rng.at(rng_key(w.rank, "cuda")));
  if (same_ranks && rng.count(rng_key(w.rank)))
    set_cpu_generator_state(rng.at(rng_key(w.rank)));
  else
    torch::manual_seed(data::derive_seed({static_cast<uint64_t>(cfg_.train.seed), static_cast<uint64_t>(w.rank),
                                          static_cast<uint64_t>(state_.step)}));
  state_.global_batch = fresh.global_batch;
  state_.world_size = fresh.world_size;
  check_sync();
}

std::string Trainer::checkpoint_root() const { return (fs::path(cfg_.run.dir) / "checkpoints").string(); }

data::Batch Trainer::batch(int64_t step) const { return loader_->batch(step); }

// One optimizer step with its statistics read back from the device and summed over ranks (tests and tools call
// this; fit() reads them only on log steps).
StepStats Trainer::step(const data::Batch& host_batch) {
  auto s = run_step(host_batch);
  settle(s);
  return s;
}

// One optimizer step, top-down (design.md §1.5). Nothing here waits for the device: counts come from the host
// batch, the loss and gradient norm stay device tensors until settle().
StepStats Trainer::run_step(const data::Batch& host_batch) {
  control_->set_step(state_.step);
  apply_fault();
  StepStats s;
  s.lr = set_learning_rate();

  model_->train(true);
  std::optional<torch::autograd::DetectAnomalyGuard> anomaly;
  if (cfg_.train.detect_anomaly) anomaly.emplace();
  optimizer_->zero_grad();
  profiler_.mark("setup");  // learning rate, train mode, freeing last step's gradients
  forward_backward(host_batch, s);
  if (reducer_) reducer_->finish();  // every .grad is now the sum over ranks
  else  // as with several ranks, where the reducer gives every parameter a gradient: unused ones get zeros, so
        // AdamW treats them alike (weight decay, moments) on 1 and N ranks
    for (auto& p : model_->trainable_parameters())
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
  profiler_.mark("allreduce");
  // Clipping is applied inside the fused AdamW kernel (a divisor), not as a pass of its own over the gradients.
  s.grad_norm_t = gradient_norm(model_->trainable_parameters());
  if (s.grad_norm_t.defined() && cfg_.optim.grad_clip > 0)
    optimizer_->divide_grads_by(clip_divisor(s.grad_norm_t, cfg_.optim.grad_clip));
  guard_nonfinite(s.grad_norm_t);
  profiler_.mark("clip");
  optimizer_->step();
  profiler_.mark("optimizer");
  s.ema_m = ema_momentum(state_.step, cfg_.train.steps, cfg_.jepa);
  model_->ema_update(s.ema_m);  // local on every rank: targets stay identical without communication
  profiler_.mark("ema");
  s.tokens = host_batch.tokens;  // this rank's; settle() sums over ranks
  state_.step += 1;
  state_.consumed_samples += state_.global_batch;
  return s;
}

// The batch's forward and backward passes. With train.grad_accum = K the rank's K·B rows run as K micro-batches of
// B, the gradients all-reduced once (the reducer sits out the first K-1 backwards, as DDP's no_sync). Every term
// is divided by its count over the whole global batch (all micro-batches, all ranks), known before any forward from
// the host batch (Objective::term_counts) and summed over ranks while the first forward is queued; so N ranks x K x
// B equal 1 rank x N·K·B (design.md §1.5). An objective that cannot tell its counts up front is normalised after
// its forward (K = 1 only).
void Trainer::forward_backward(const data::Batch& host_batch, StepStats& s) {
  const int64_t K = cfg_.train.grad_accum, B = cfg_.train.batch_size;
  std::vector<data::Batch> micro;
  if (K == 1) micro.push_back(host_batch);
  else
    for (int64_t k = 0; k < K; ++k) micro.push_back(host_batch.rows(k * B, B));
  std::vector<std::vector<int64_t>> predicted;
  std::vector<int64_t> totals;
  for (const auto& m : micro) {
    auto c = objective_->term_counts(m);
    if (!c) break;
    if (totals.empty()) totals.assign(c->size(), 0);
    for (size_t t = 0; t < c->size(); ++t) totals[t] += (*c)[t];
    predicted.push_back(std::move(*c));
  }
  const bool known = predicted.size() == micro.size();
  if (!known && K > 1)
    throw std::runtime_error("train.grad_accum > 1: objective '" + cfg_.train.objective +
                             "' does not report its term counts before the forward (Objective::term_counts)");
  std::optional<distributed::Control::PendingSum> pending;
  if (known) pending.emplace(control_->start_sum(totals, "masked count"));
  auto rows = start_row_union(micro);

  std::vector<int64_t> counts;
  objective::Output out;
  for (int64_t k = 0; k < K; ++k) {
    const auto b = micro[k].to(device_);
    s.positions += micro[k].input_ids.numel();
    profiler_.mark("data");
    {
      Autocast autocast(cfg_.train.precision == "bf16");
      out = objective_->compute(*model_, b);
    }
    profiler_.mark("forward");
    if (known) {
      if (k == 0) counts = pending->wait();
      if (objective::local_counts(out) != predicted[k])
        throw std::runtime_error("objective '" + cfg_.train.objective + "': term counts differ from term_counts()");
    } else {
      counts = objective::local_counts(out);
      if (control_->world().size > 1)
        for (auto& c : counts) c = control_->sum(c, "masked count");
    }
    std::vector<torch::Tensor> means;
    auto loss = objective::combine(out, counts, &means);
    if (fault_.kind == "nan_loss" && fault_.rank == control_->world().rank && fault_.step == state_.step)
      loss = loss * std::numeric_limits<double>::quiet_NaN();  // test-only (dist.fault=nan_loss@R:S)
    if (reducer_) {
      if (k + 1 < K) reducer_->pause();  // gradients accumulate locally in .grad
      else reducer_->prepare();          // the last backward reduces the (accumulated) gradients
    }
    loss.backward();
    profiler_.mark("backward");
    // This rank's share of the global loss (double on the device: no synchronisation); settle() reads it.
    const auto share = loss.detach().to(torch::kDouble);
    s.loss_t = s.loss_t.defined() ? s.loss_t + share : share;
    if (out.terms.size() > 1)
      for (size_t t = 0; t < means.size(); ++t) {
        auto& acc = s.term_t[out.terms[t].name];
        const auto m = means[t].detach().to(torch::kDouble);
        acc = acc.defined() ? acc + m : m;
      }
  }
  s.metrics = std::move(out.metrics);  // the last micro-batch's
  if (rows) {
    auto ids = distributed::marked_rows(rows->wait());
    // Pinned and asynchronous on a GPU: the host never waits for the device here.
    if (device_.is_cuda()) ids = ids.pin_memory().to(device_, /*non_blocking=*/true);
    reducer_->set_rows(std::move(ids));
  }
}

std::optional<distributed::Control::PendingSum> Trainer::start_row_union(const std::vector<data::Batch>& micro) {
  if (!reducer_ || !reducer_->has_sparse()) return std::nullopt;
  const auto rows = model_->context_encoder->token_embedding().size(0);
  std::vector<int64_t> words(static_cast<size_t>((rows + 63) / 64), 0);
  for (const auto& m : micro) {
    const auto ids = objective_->context_ids(m);
    if (!ids) throw std::runtime_error("objective '" + cfg_.train.objective + "' names its context ids "
                                       "(Objective::names_context_ids) but gave none for a batch");
    distributed::mark_rows(*ids, rows, words);
  }
  return control_->start_or(std::move(words), "embedding rows");
}

// train.on_nonfinite, without reading anything back: a step whose (global, all-reduced) gradient norm is not finite
// — a NaN/inf loss on any rank makes it so on every rank — is skipped by the optimizer on the device; the EMA then
// moves the target toward unchanged, finite context weights, so no NaN reaches the weights, the target or a
// checkpoint. The count and the first such step stay on the device until check_nonfinite().
void Trainer::guard_nonfinite(const torch::Tensor& grad_norm) {
  if (!grad_norm.defined()) return;
  const auto bad = torch::logical_not(torch::isfinite(grad_norm)).to(torch::kFloat);
  optimizer_->skip_if(bad);
  const auto bad_d = bad.to(torch::kDouble);
  if (!nonfinite_.defined()) {
    nonfinite_ = torch::zeros_like(bad_d);
    first_nonfinite_ = torch::zeros_like(bad_d);
  }
  first_nonfinite_ = torch::where((first_nonfinite_ == 0) & (bad_d > 0), torch::full_like(bad_d, static_cast<double>(state_.step + 1)),
                                  first_nonfinite_);
  nonfinite_ = nonfinite_ + bad_d;
}

// At log steps and before a checkpoint: stop (train.on_nonfinite=stop) naming the first bad step, or report the
// skipped steps (skip) in `s`'s metrics.
void Trainer::check_nonfinite(StepStats* s) {
  if (!nonfinite_.defined()) return;
  const auto count = static_cast<int64_t>(nonfinite_.item<double>());
  if (count == 0) return;
  if (cfg_.train.on_nonfinite == "stop") {
    const auto first = static_cast<int64_t>(first_nonfinite_.item<double>());
    const auto last = latest_checkpoint(checkpoint_root());
    throw std::runtime_error("non-finite loss or gradient at step " + std::to_string(first) +
                             " (train.on_nonfinite=stop: that update was dropped and nothing saved; last good "
                             "checkpoint: " + (last ? *last : std::string("none")) + ")");
  }
  if (count > reported_nonfinite_) {
    log::warn(log::strf("skipped %lld step(s) with a non-finite loss or gradient so far (first at step %lld; "
                        "train.on_nonfinite=skip)", static_cast<long long>(count),
                        static_cast<long long>(first_nonfinite_.item<double>())));
    reported_nonfinite_ = count;
  }
  if (s) s->metrics["nonfinite_skips"] = static_cast<double>(count);
}

// Reads a step's device statistics back and sums them over ranks (a device synchronisation + collectives that
// every rank runs at the same steps).
void Trainer::settle(StepStats& s) {
  const bool multi = control_->world().size > 1;
  s.loss = s.loss_t.defined() ? s.loss_t.item<double>() : 0.0;
  if (multi) s.loss = control_->sum(s.loss, "loss");
  s.grad_norm = s.grad_norm_t.defined() ? s.grad_norm_t.item<double>() : 0.0;
  for (const auto& [name, t] : s.term_t) s.term_losses[name] = multi ? control_->sum(t.item<double>(), "term loss") : t.item<double>();
  if (multi) s.tokens = control_->sum(s.tokens, "token count");
}

double Trainer::set_learning_rate() {
  const double lr = cfg_.optim.lr * lr_factor(state_.step, cfg_.optim.warmup_steps, cfg_.train.steps);
  auto& groups = optimizer_->param_groups();
  for (size_t g = 0; g < groups.size(); ++g)  // group 1, when present, is the predictor's (build_optimizer)
    static_cast<torch::optim::AdamWOptions&>(groups[g].options()).lr(g == 1 ? lr * cfg_.optim.predictor_lr_mult : lr);
  return lr;
}

void Trainer::apply_fault() {
  const auto& f = fault_;
  if (f.rank != control_->world().rank || f.step != state_.step) return;
  log::error(log::strf("fault injection: %s on rank %d at step %lld", f.kind.c_str(), f.rank, static_cast<long long>(f.step)));
  log::flush();
  if (f.kind == "nan_loss") return;  // applied to the loss in forward_backward()
  if (f.kind == "abort") std::abort();
  if (f.kind == "hang")
    while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
  torch::NoGradGuard no_grad;
  (model_->target_encoder ? model_->target_encoder : model_->context_encoder)->parameters().front().add_(1e-3);
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

// The open logging window's loss sum and tokens over all ranks: what a resumed run carried over (state_, the same
// on every rank) plus what each rank accumulated since (on its device / host).
Trainer::WindowTotals Trainer::window_totals() {
  const bool multi = control_->world().size > 1;
  const double local = window_loss_.defined() ? window_loss_.item<double>() : 0.0;
  const double loss = multi ? control_->sum(local, "window loss") : local;
  const int64_t tokens = multi ? control_->sum(window_tokens_, "window tokens") : window_tokens_;
  const int64_t positions = multi ? control_->sum(window_positions_, "window positions") : window_positions_;
  return {state_.window_loss_sum + loss, state_.window_tokens + tokens, state_.window_positions + positions};
}

std::string Trainer::save() {
  check_nonfinite(nullptr);  // never a checkpoint after a non-finite step under on_nonfinite=stop
  optimizer_->fold_skips();  // skipped steps out of Adam's step counts, as the device already did
  distributed::IoScope io(*control_);  // the other ranks wait for rank 0's write: the I/O deadline
  const auto start = std::chrono::steady_clock::now();
  check_sync();
  TrainerState saved = state_;  // with the open logging window's totals, so a resumed run logs the same means
  const auto totals = window_totals();
  saved.window_loss_sum = totals.loss;
  saved.window_tokens = totals.tokens;
  saved.window_positions = totals.positions;
  // Every rank's generators: the CPU one, and its GPU's (all ranks share the device type).
  std::map<std::string, std::vector<std::string>> states;
  states["cpu"] = control_->allgather_bytes(cpu_generator_state(), "rng state gather");
  if (device_.is_cuda()) states["cuda"] = control_->allgather_bytes(generator_state(device_), "cuda rng state gather");
  std::string path = (fs::path(checkpoint_root()) / checkpoint_name(state_.step)).string();
  if (control_->is_root()) {
    std::map<std::string, torch::Tensor> rng;
    for (const auto& [kind, per_rank] : states)
      for (size_t r = 0; r < per_rank.size(); ++r)
        rng[rng_key(static_cast<int>(r), kind)] = torch::from_blob(const_cast<char*>(per_rank[r].data()),
                                                                   {static_cast<int64_t>(per_rank[r].size())}, torch::kUInt8)
                                                      .clone();
    path = save_checkpoint(checkpoint_root(), *model_, *optimizer_, saved, config_yaml_, cfg_.train.keep_checkpoints, rng);
  }
  control_->barrier("checkpoint write");
  log::info(log::strf("checkpoint step %lld written in %.2f s", static_cast<long long>(state_.step),
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
  return path;
}

// run.dir/config.yaml, the log files, the start-up lines; rank 0 gets metrics.jsonl.
std::optional<MetricsLog> Trainer::open_run_dir() {
  const auto& w = control_->world();
  const fs::path run_dir(cfg_.run.dir);
  distributed::IoScope io(*control_);
  if (control_->is_root()) {
    fs::create_directories(run_dir);
    std::ofstream out(run_dir / "config.yaml", std::ios::trunc);
    out << config_yaml_;
    out.close();
    if (out.fail()) throw std::runtime_error("cannot write " + (run_dir / "config.yaml").string() + " (disk full?)");
  }
  control_->barrier("run directory");
  log::init((run_dir / (w.rank == 0 ? "train.log" : "train.rank" + std::to_string(w.rank) + ".log")).string(), w.rank,
            w.size, false, cfg_.log.color);
  std::optional<MetricsLog> metrics;
  if (control_->is_root())
    metrics.emplace((run_dir / "metrics.jsonl").string(), state_.step,
                    cfg_.log.tensorboard ? (run_dir / "tb").string() : std::string());

  int64_t n_params = 0;
  for (const auto& p : model_->trainable_parameters()) n_params += p.numel();
  const auto ranks = control_->allgather_bytes(
      log::strf("rank %d/%d | local rank %d/%d | host %s | device %s | %d threads", w.rank, w.size, w.local_rank,
                w.local_size, w.host.c_str(), device_.str().c_str(), torch::get_num_threads()),
      "rank description");
  for (const auto& r : ranks) log::info(r);
  log::info(log::strf("jepa_dist: %lld trainable parameters | objective %s | backend %s | corpus %s (%lld docs, %lld "
                      "batches/epoch of %lld)",
                      static_cast<long long>(n_params), cfg_.train.objective.c_str(), comm_->name().c_str(),
                      cfg_.data.path.c_str(), static_cast<long long>(corpus_->size()),
                      static_cast<long long>(loader_->sampler().batches_per_epoch()),
                      static_cast<long long>(state_.global_batch)));
  if (reducer_)
    log::info(log::strf("gradient all-reduce: %zu buckets (dist.bucket_mb %g, overlap %s)%s",
                        reducer_->bucket_count(), cfg_.dist.bucket_mb, cfg_.dist.overlap ? "on" : "off",
                        reducer_->has_sparse() ? " + the token-embedding rows the batches touched (dist.sparse_embedding)"
                                               : ""));
  if (resumed_from_)
    log::info(log::strf("resumed from %s at step %lld", resumed_from_->c_str(), static_cast<long long>(state_.step)));
  for (const auto& note : resume_notes_) log::warn(note);
  return metrics;
}

int64_t Trainer::fit() {
  auto metrics = open_run_dir();
  const auto start = std::chrono::steady_clock::now();
  auto window_start = start;
  const int64_t first_step = state_.step;
  data::Prefetcher prefetch(*loader_, cfg_.data.prefetch, cfg_.train.steps);
  while (state_.step < cfg_.train.steps) {
    std::string collapse;  // the collapse monitor's first warning of this step, if any
    std::optional<distributed::IoScope> rank0_busy;
    profiler_.start();
    const data::Batch current = prefetch.get(state_.step);
    profiler_.mark("data");
    StepStats last = run_step(current);  // no device synchronisation until the log step
    window_loss_ = window_loss_.defined() ? window_loss_ + last.loss_t : last.loss_t;
    window_tokens_ += last.tokens;
    window_positions_ += last.positions;
    state_.window_steps += 1;
    if (state_.step % cfg_.train.log_every == 0) {
      check_nonfinite(&last);
      settle(last);
      const auto totals = window_totals();
      const auto now = std::chrono::steady_clock::now();
      Window w;
      w.step = state_.step;
      w.steps = cfg_.train.steps;
      w.epoch = loader_->sampler().epoch_of(state_.step - 1);
      w.mean_loss = totals.loss / static_cast<double>(state_.window_steps);
      w.window_steps = state_.window_steps;
      w.tokens = totals.tokens;
      w.positions = totals.positions;
      w.profile = profiler_.take();
      w.seconds = std::chrono::duration<double>(now - window_start).count();
      w.elapsed = std::chrono::duration<double>(now - start).count();
      w.eta = w.elapsed / static_cast<double>(state_.step - first_step) * static_cast<double>(cfg_.train.steps - state_.step);
      // Each rank measures its own batch (no communication); metrics.jsonl holds rank 0's. Rank 0 alone scores the
      // held-out set (the weights are identical everywhere).
      std::optional<HeldoutStats> heldout;
      if (cfg_.eval.every > 0 && state_.step % cfg_.eval.every == 0) {
        rank0_busy.emplace(*control_);  // the other ranks wait for rank 0's evaluation at the next collective
        if (heldout_) heldout = heldout_->run(*model_, device_);
      }
      collapse = log_window(w, last, target_collapse_stats(*model_, current, device_), heldout, cfg_.monitor,
                            metrics ? &*metrics : nullptr);
      state_.window_loss_sum = 0;
      state_.window_steps = 0;
      state_.window_tokens = 0;
      state_.window_positions = 0;
      window_loss_ = torch::Tensor();
      window_tokens_ = 0;
      window_positions_ = 0;
      window_start = std::chrono::steady_clock::now();  // tokens/s measures training, not this logging work
    }
    if (cfg_.dist.check_sync_every > 0 && state_.step % cfg_.dist.check_sync_every == 0) check_sync();
    // Ranks agree on stopping (a signal may reach only some of them; monitor.on_collapse=stop), then checkpoint and
    // leave: cleanly for a signal, with an error naming the crossed threshold for a collapse.
    const bool collapse_stop = cfg_.monitor.on_collapse == "stop" && !collapse.empty();
    const int stop = control_->max((stop_requested() ? 1 : 0) | (collapse_stop ? 2 : 0), "stop flag");
    if (stop & 2) {
      std::string reason;
      for (const auto& r : control_->allgather_bytes(collapse_stop ? collapse : "", "collapse reason"))
        if (reason.empty()) reason = r;
      const auto path = save();
      throw std::runtime_error(reason + "; monitor.on_collapse=stop: checkpoint " + path);
    }
    if (stop) {
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
