// Validation of a fully read Config: ranges, enumerations and cross-key rules. Runs after typing, so every
// message can name the key and its typed value. Checked section by section; the first violation is reported.
#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <system_error>

#include "config/detail.hpp"
#include "config/fault.hpp"
#include "config/schema.hpp"

namespace jepa::config::detail {

namespace {

std::string num(double x) { return format_double(x); }

[[noreturn]] void out_of_range(const std::string& dotted, const std::string& value, const std::string& rule) {
  throw ConfigError("config key '" + dotted + "': value " + value + " is out of range (" + rule + ")");
}

void at_least(const std::string& dotted, int64_t v, int64_t lo) {
  if (v < lo) out_of_range(dotted, std::to_string(v), "must be >= " + std::to_string(lo));
}
void positive(const std::string& dotted, double v) {
  if (!(v > 0)) out_of_range(dotted, num(v), "must be > 0");
}
void non_negative(const std::string& dotted, double v) {
  if (!(v >= 0)) out_of_range(dotted, num(v), "must be >= 0");
}
void in_closed01(const std::string& dotted, double v) {
  if (!(v >= 0 && v <= 1)) out_of_range(dotted, num(v), "must be in [0, 1]");
}
void in_halfopen01(const std::string& dotted, double v) {
  if (!(v >= 0 && v < 1)) out_of_range(dotted, num(v), "must be in [0, 1)");
}
void one_of(const std::string& dotted, const std::string& v, std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  throw ConfigError("config key '" + dotted + "': value '" + v + "' is invalid (must be one of: " + list + ")");
}
void non_empty(const std::string& dotted, const std::string& v) {
  if (v.empty()) throw ConfigError("config key '" + dotted + "': value '' is invalid (must not be empty)");
}

bool valid_device(const std::string& d) {
  if (d == "auto" || d == "cpu" || d == "cuda") return true;
  if (d.rfind("cuda:", 0) == 0 && d.size() > 5)
    return std::all_of(d.begin() + 5, d.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  return false;
}

}  // namespace

void validate(const Config& c) {
  const auto& m = c.model;
  non_empty("model.name", m.name);
  at_least("model.dim", m.dim, 1);
  at_least("model.layers", m.layers, 1);
  at_least("model.heads", m.heads, 1);
  if (m.dim % m.heads != 0)
    throw ConfigError("config key 'model.dim': value " + std::to_string(m.dim) + " is not divisible by model.heads (" +
                      std::to_string(m.heads) + ")");
  at_least("model.ff_dim", m.ff_dim, 1);
  in_halfopen01("model.dropout", m.dropout);
  at_least("model.max_positions", m.max_positions, 1);
  at_least("model.pred_hidden_mult", m.pred_hidden_mult, 1);
  in_halfopen01("model.pred_dropout", m.pred_dropout);
  one_of("model.init", m.init, {"independent", "shared"});
  at_least("model.kv_heads", m.kv_heads, 0);
  if (m.kv_heads > 0 && m.heads % m.kv_heads != 0)
    throw ConfigError("config key 'model.kv_heads': value " + std::to_string(m.kv_heads) +
                      " does not divide model.heads (" + std::to_string(m.heads) + ")");
  positive("model.rope_theta", m.rope_theta);
  positive("model.norm_eps", m.norm_eps);

  const auto& j = c.jepa;
  if (!(j.mask_ratio > 0 && j.mask_ratio <= 1)) out_of_range("jepa.mask_ratio", num(j.mask_ratio), "must be in (0, 1]");
  positive("jepa.mean_span_len", j.mean_span_len);
  in_closed01("jepa.ema_m", j.ema_m);
  one_of("jepa.ema_schedule", j.ema_schedule, {"constant", "linear", "cosine"});
  in_closed01("jepa.ema_m_end", j.ema_m_end);
  at_least("jepa.target_layers", j.target_layers, 1);  // at most the encoder's depth: checked when the model is built
  one_of("jepa.target_norm", j.target_norm, {"none", "layer", "instance"});
  one_of("jepa.loss", j.loss, {"cosine", "mse", "smooth_l1"});
  non_negative("jepa.vc_weight", j.vc_weight);
  positive("jepa.var_target", j.var_target);
  non_negative("jepa.lambda", j.lambda);
  non_negative("jepa.gamma", j.gamma);
  at_least("jepa.pred_tokens", j.pred_tokens, 0);
  one_of("jepa.distance", j.distance, {"cosine", "mse", "l2", "infonce"});
  positive("jepa.infonce_temperature", j.infonce_temperature);
  in_halfopen01("jepa.loss_dropout", j.loss_dropout);

  const auto& o = c.optim;
  non_negative("optim.lr", o.lr);
  non_negative("optim.weight_decay", o.weight_decay);
  at_least("optim.warmup_steps", o.warmup_steps, 0);
  non_negative("optim.grad_clip", o.grad_clip);  // 0 = no clipping
  in_halfopen01("optim.beta1", o.beta1);
  in_halfopen01("optim.beta2", o.beta2);
  positive("optim.eps", o.eps);
  positive("optim.predictor_lr_mult", o.predictor_lr_mult);

  const auto& t = c.train;
  non_empty("train.objective", t.objective);  // a registered name; an unknown one is reported when it is built
  at_least("train.steps", t.steps, 1);
  at_least("train.batch_size", t.batch_size, 1);
  at_least("train.grad_accum", t.grad_accum, 1);
  at_least("train.log_every", t.log_every, 1);
  at_least("train.save_every", t.save_every, 1);
  at_least("train.seed", t.seed, 0);
  if (!valid_device(t.device))
    throw ConfigError("config key 'train.device': value '" + t.device +
                      "' is invalid (must be one of: auto, cpu, cuda, cuda:N)");
  one_of("train.precision", t.precision, {"fp32", "bf16"});
  one_of("train.on_nonfinite", t.on_nonfinite, {"stop", "skip"});
  at_least("train.threads", t.threads, 0);
  if (c.monitor.min_std < 0) throw ConfigError("config key 'monitor.min_std': must be >= 0");
  if (c.monitor.min_effective_rank < 0) throw ConfigError("config key 'monitor.min_effective_rank': must be >= 0");
  non_negative("monitor.max_mean_cosine", c.monitor.max_mean_cosine);
  one_of("monitor.on_collapse", c.monitor.on_collapse, {"warn", "stop"});
  at_least("eval.every", c.eval.every, 0);
  at_least("eval.docs", c.eval.docs, 2);
  at_least("eval.batch_size", c.eval.batch_size, 1);
  if (c.eval.every > 0 && c.eval.every % t.log_every != 0)
    throw ConfigError("config key 'eval.every': value " + std::to_string(c.eval.every) +
                      " is invalid (must be a multiple of train.log_every = " + std::to_string(t.log_every) + ")");
  at_least("train.keep_checkpoints", t.keep_checkpoints, 1);
  non_empty("train.resume", t.resume);

  const auto& d = c.data;
  non_empty("data.path", d.path);
  at_least("data.max_length", d.max_length, 3);  // [CLS] + at least one token + [SEP]
  if (d.vocab) non_empty("data.vocab", *d.vocab);
  if (d.max_docs) at_least("data.max_docs", *d.max_docs, 1);
  at_least("data.length_window", d.length_window, 1);
  one_of("data.padding_side", d.padding_side, {"right", "left"});
  // model.name: a built-in kind, else a local Hugging Face model directory (whose config.json gives the
  // architecture and its max_position_embeddings; checked when the encoder is built).
  // The names are the backbone table's (model/encoder.cpp); spelled here because jepa_config sits below jepa_model.
  const bool builtin = m.name == "tiny" || m.name == "bert" || m.name == "distilbert" || m.name == "llama";
  std::error_code ec;
  if (!builtin && !std::filesystem::is_directory(m.name, ec))
    throw ConfigError("model.name '" + m.name +
                      "' is not tiny|bert|distilbert|llama and not a local directory (models are never downloaded)");
  if (builtin && d.max_length > m.max_positions)
    throw ConfigError("config key 'data.max_length': value " + std::to_string(d.max_length) +
                      " is out of range (must be <= model.max_positions = " + std::to_string(m.max_positions) +
                      " for the " + m.name + " encoder)");

  const auto& ds = c.dist;
  one_of("dist.backend", ds.backend, {"auto", "mpi", "nccl"});
  positive("dist.bucket_mb", ds.bucket_mb);
  at_least("dist.check_sync_every", ds.check_sync_every, 0);
  positive("dist.timeout_s", ds.timeout_s);
  positive("dist.io_timeout_s", ds.io_timeout_s);
  one_of("dist.grad_dtype", ds.grad_dtype, {"fp32", "bf16"});
  parse_fault(ds.fault);  // throws the config error for a bad spec

  non_empty("run.dir", c.run.dir);
  one_of("log.color", c.log.color, {"auto", "always", "never"});
}

}  // namespace jepa::config::detail
