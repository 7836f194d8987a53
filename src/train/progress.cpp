#include "train/progress.hpp"

#include "log/log.hpp"

namespace jepa::train {

std::optional<CollapseStats> target_collapse_stats(model::JepaImpl& model, const data::Batch& batch,
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

namespace {

void warn_below(const char* what, double value, const char* key, double threshold, int64_t step, int64_t n) {
  log::warn(log::strf("collapse monitor: step %lld: %s %.4g is below %s %.4g (target embeddings of %lld sequences)",
                      static_cast<long long>(step), what, value, key, threshold, static_cast<long long>(n)));
}

}  // namespace

void log_window(const Window& w, const StepStats& last, const std::optional<CollapseStats>& emb,
                const config::MonitorConfig& monitor, MetricsLog* metrics) {
  const double tok_s = static_cast<double>(w.tokens) / std::max(w.seconds, 1e-9);
  const std::string emb_text =
      emb ? log::strf(" | rank %.1f std %.3f cos %.2f", emb->effective_rank, emb->std_mean, emb->mean_cosine) : "";
  log::info(log::strf("step %lld/%lld | loss %.4f | lr %.3e%s | %.0f tok/s | elapsed %s | eta %s",
                      static_cast<long long>(w.step), static_cast<long long>(w.steps), w.mean_loss, last.lr,
                      emb_text.c_str(), tok_s, format_duration(w.elapsed).c_str(), format_duration(w.eta).c_str()));
  if (emb && emb->std_mean < monitor.min_std)
    warn_below("emb_std_mean", emb->std_mean, "monitor.min_std", monitor.min_std, w.step, emb->n);
  if (emb && emb->effective_rank < monitor.min_effective_rank)
    warn_below("effective_rank", emb->effective_rank, "monitor.min_effective_rank", monitor.min_effective_rank, w.step,
               emb->n);
  if (!metrics) return;
  nlohmann::ordered_json rec = {{"step", w.step}, {"loss", w.mean_loss}, {"lr", last.lr}, {"tokens_per_s", tok_s},
                                {"tokens", w.tokens},
                                {"step_time_s", w.seconds / static_cast<double>(w.window_steps)},
                                {"grad_norm", last.grad_norm}, {"ema_m", last.ema_m},
                                {"epoch", w.epoch}, {"elapsed_s", w.elapsed}};
  if (emb) {
    rec["emb_std_mean"] = emb->std_mean;
    rec["emb_std_min"] = emb->std_min;
    rec["effective_rank"] = emb->effective_rank;
    rec["mean_cosine"] = emb->mean_cosine;
  }
  // Several terms and the objective's own metrics: values of the window's last step.
  for (const auto& [name, v] : last.term_losses) rec["loss/" + name] = v;
  for (const auto& [name, v] : last.metrics) {
    if (rec.contains(name))
      throw std::runtime_error("objective metric '" + name + "' would overwrite the metrics.jsonl field of that name");
    rec[name] = v;
  }
  metrics->write(rec);
}

}  // namespace jepa::train
