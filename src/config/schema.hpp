#pragma once
// Internal: the schema of a Config (not part of the public config API). The list of fields lives in one place,
// visit_fields(), so that reading (config.cpp), writing (config.cpp) and the key list (schema.cpp) cannot drift.
#include <string>

#include "config/config.hpp"

namespace jepa::config::detail {

// Every field of the schema, in output order. `f(section, key, field)` for a Config (const or not).
// A template in a header because each caller passes a lambda that is generic over the field's type.
template <class C, class F>
void visit_fields(C& c, F&& f) {
  f("model", "name", c.model.name);
  f("model", "dim", c.model.dim);
  f("model", "layers", c.model.layers);
  f("model", "heads", c.model.heads);
  f("model", "ff_dim", c.model.ff_dim);
  f("model", "dropout", c.model.dropout);
  f("model", "max_positions", c.model.max_positions);
  f("model", "pred_hidden_mult", c.model.pred_hidden_mult);
  f("model", "pred_dropout", c.model.pred_dropout);
  f("model", "kv_heads", c.model.kv_heads);
  f("model", "rope_theta", c.model.rope_theta);
  f("model", "norm_eps", c.model.norm_eps);
  f("model", "tie_embeddings", c.model.tie_embeddings);
  f("model", "init", c.model.init);

  f("jepa", "mask_ratio", c.jepa.mask_ratio);
  f("jepa", "mean_span_len", c.jepa.mean_span_len);
  f("jepa", "ema_m", c.jepa.ema_m);
  f("jepa", "ema_schedule", c.jepa.ema_schedule);
  f("jepa", "ema_m_end", c.jepa.ema_m_end);
  f("jepa", "target_eval", c.jepa.target_eval);
  f("jepa", "target_layers", c.jepa.target_layers);
  f("jepa", "target_norm", c.jepa.target_norm);
  f("jepa", "loss", c.jepa.loss);
  f("jepa", "vc_weight", c.jepa.vc_weight);
  f("jepa", "var_target", c.jepa.var_target);
  f("jepa", "lambda", c.jepa.lambda);
  f("jepa", "gamma", c.jepa.gamma);
  f("jepa", "pred_tokens", c.jepa.pred_tokens);
  f("jepa", "distance", c.jepa.distance);
  f("jepa", "infonce_temperature", c.jepa.infonce_temperature);
  f("jepa", "loss_dropout", c.jepa.loss_dropout);
  f("jepa", "packed", c.jepa.packed);

  f("optim", "lr", c.optim.lr);
  f("optim", "weight_decay", c.optim.weight_decay);
  f("optim", "warmup_steps", c.optim.warmup_steps);
  f("optim", "grad_clip", c.optim.grad_clip);
  f("optim", "beta1", c.optim.beta1);
  f("optim", "beta2", c.optim.beta2);
  f("optim", "eps", c.optim.eps);
  f("optim", "predictor_lr_mult", c.optim.predictor_lr_mult);

  f("train", "objective", c.train.objective);
  f("train", "steps", c.train.steps);
  f("train", "batch_size", c.train.batch_size);
  f("train", "grad_accum", c.train.grad_accum);
  f("train", "log_every", c.train.log_every);
  f("train", "save_every", c.train.save_every);
  f("train", "seed", c.train.seed);
  f("train", "device", c.train.device);
  f("train", "threads", c.train.threads);
  f("train", "keep_checkpoints", c.train.keep_checkpoints);
  f("train", "resume", c.train.resume);
  f("train", "detect_anomaly", c.train.detect_anomaly);
  f("train", "precision", c.train.precision);
  f("train", "on_nonfinite", c.train.on_nonfinite);
  f("train", "profile", c.train.profile);
  f("train", "note", c.train.note);

  f("data", "path", c.data.path);
  f("data", "max_length", c.data.max_length);
  f("data", "vocab", c.data.vocab);
  f("data", "max_docs", c.data.max_docs);
  f("data", "group_by_length", c.data.group_by_length);
  f("data", "length_window", c.data.length_window);
  f("data", "prefetch", c.data.prefetch);
  f("data", "padding_side", c.data.padding_side);

  f("dist", "backend", c.dist.backend);
  f("dist", "bucket_mb", c.dist.bucket_mb);
  f("dist", "overlap", c.dist.overlap);
  f("dist", "sparse_embedding", c.dist.sparse_embedding);
  f("dist", "check_sync_every", c.dist.check_sync_every);
  f("dist", "timeout_s", c.dist.timeout_s);
  f("dist", "io_timeout_s", c.dist.io_timeout_s);
  f("dist", "grad_dtype", c.dist.grad_dtype);
  f("dist", "fault", c.dist.fault);

  f("eval", "every", c.eval.every);
  f("eval", "data", c.eval.data);
  f("eval", "docs", c.eval.docs);
  f("eval", "batch_size", c.eval.batch_size);

  f("monitor", "min_std", c.monitor.min_std);
  f("monitor", "min_effective_rank", c.monitor.min_effective_rank);
  f("monitor", "max_mean_cosine", c.monitor.max_mean_cosine);
  f("monitor", "on_collapse", c.monitor.on_collapse);

  f("run", "dir", c.run.dir);

  f("log", "color", c.log.color);
  f("log", "tensorboard", c.log.tensorboard);
}

// Key lookups derived from visit_fields (schema.cpp).
bool is_section(const std::string& s);       // "model", "train", ...
bool is_key(const std::string& dotted);      // "train.steps", ...
// ConfigError "unknown config key '<dotted>' (did you mean '<closest section or key>'?)".
[[noreturn]] void unknown_key(const std::string& dotted);

// Range and enumeration checks of a fully read Config; throws ConfigError naming the first bad key (validate.cpp).
void validate(const Config& c);

}  // namespace jepa::config::detail
