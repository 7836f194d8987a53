#include "train/progress.hpp"

#include <vector>

#include "log/log.hpp"

namespace jepa::train {

std::optional<CollapseStats> target_collapse_stats(model::JepaImpl& model, const data::Batch& batch,
                                                   const torch::Device& device) {
  if (batch.input_ids.size(0) < 2) return std::nullopt;
  torch::NoGradGuard no_grad;
  // The decoder-only model (LLM-JEPA) has no target encoder: its own hidden states are the embeddings watched.
  auto& target = model.target_encoder ? *model.target_encoder : *model.context_encoder;
  const bool was_training = target.is_training();
  target.eval();
  const auto ids = batch.input_ids.to(device), mask = batch.attention_mask.to(device);
  const auto pooled = mean_pool(target.forward(ids, mask), mask);
  target.train(was_training);
  return collapse_stats(pooled);
}

namespace {

// The metrics.jsonl record of one window (rank 0).
void write_record(const Window& w, const StepStats& last, const std::optional<CollapseStats>& emb,
                  const std::optional<HeldoutStats>& heldout, MetricsLog& metrics);

// The monitor's verdicts on one set of stats, one line each.
std::vector<std::string> breaches(const CollapseStats& s, const config::MonitorConfig& monitor, int64_t step,
                                  const char* where) {
  std::vector<std::string> out;
  auto add = [&](const char* what, double value, const char* rel, const char* key, double threshold) {
    out.push_back(log::strf("collapse monitor: step %lld: %s %.4g is %s %s %.4g (target embeddings of %lld %s)",
                            static_cast<long long>(step), what, value, rel, key, threshold,
                            static_cast<long long>(s.n), where));
  };
  if (s.std_mean < monitor.min_std) add("emb_std_mean", s.std_mean, "below", "monitor.min_std", monitor.min_std);
  if (s.effective_rank < monitor.min_effective_rank)
    add("effective_rank", s.effective_rank, "below", "monitor.min_effective_rank", monitor.min_effective_rank);
  if (s.mean_cosine > monitor.max_mean_cosine)
    add("mean_cosine", s.mean_cosine, "above", "monitor.max_mean_cosine", monitor.max_mean_cosine);
  return out;
}

}  // namespace

std::string log_window(const Window& w, const StepStats& last, const std::optional<CollapseStats>& emb,
                       const std::optional<HeldoutStats>& heldout, const config::MonitorConfig& monitor,
                       MetricsLog* metrics) {
  const double tok_s = static_cast<double>(w.tokens) / std::max(w.seconds, 1e-9);
  const std::string emb_text =
      emb ? log::strf(" | rank %.1f std %.3f cos %.2f", emb->effective_rank, emb->std_mean, emb->mean_cosine) : "";
  log::info(log::strf("step %lld/%lld | loss %.4f | lr %.3e%s | %.0f tok/s | elapsed %s | eta %s",
                      static_cast<long long>(w.step), static_cast<long long>(w.steps), w.mean_loss, last.lr,
                      emb_text.c_str(), tok_s, format_duration(w.elapsed).c_str(), format_duration(w.eta).c_str()));
  if (heldout)
    log::info(log::strf("held-out eval: step %lld | %lld docs | rank %.1f std %.3f cos %.3f | alignment %.3f "
                        "uniformity %.3f",
                        static_cast<long long>(w.step), static_cast<long long>(heldout->collapse.n),
                        heldout->collapse.effective_rank, heldout->collapse.std_mean, heldout->collapse.mean_cosine,
                        heldout->alignment, heldout->uniformity));
  std::vector<std::string> warnings;
  if (heldout) warnings = breaches(heldout->collapse, monitor, w.step, "held-out documents");
  else if (emb) warnings = breaches(*emb, monitor, w.step, "sequences");
  for (const auto& msg : warnings) log::warn(msg);
  if (metrics) write_record(w, last, emb, heldout, *metrics);
  return warnings.empty() ? "" : warnings.front();
}

namespace {

void write_record(const Window& w, const StepStats& last, const std::optional<CollapseStats>& emb,
                  const std::optional<HeldoutStats>& heldout, MetricsLog& metrics) {
  const double tok_s = static_cast<double>(w.tokens) / std::max(w.seconds, 1e-9);
  nlohmann::ordered_json rec = {{"step", w.step}, {"loss", w.mean_loss}, {"lr", last.lr}, {"tokens_per_s", tok_s},
                                {"tokens", w.tokens}, {"padded_tokens", w.positions},
                                {"step_time_s", w.seconds / static_cast<double>(w.window_steps)},
                                {"grad_norm", last.grad_norm}, {"ema_m", last.ema_m},
                                {"epoch", w.epoch}, {"elapsed_s", w.elapsed}};
  if (emb) {
    rec["emb_std_mean"] = emb->std_mean;
    rec["emb_std_min"] = emb->std_min;
    rec["effective_rank"] = emb->effective_rank;
    rec["mean_cosine"] = emb->mean_cosine;
  }
  if (heldout) {
    rec["eval_docs"] = heldout->collapse.n;
    rec["eval_emb_std_mean"] = heldout->collapse.std_mean;
    rec["eval_emb_std_min"] = heldout->collapse.std_min;
    rec["eval_effective_rank"] = heldout->collapse.effective_rank;
    rec["eval_mean_cosine"] = heldout->collapse.mean_cosine;
    rec["eval_alignment"] = heldout->alignment;
    rec["eval_uniformity"] = heldout->uniformity;
  }
  if (!w.profile.empty()) {
    for (const auto& [name, v] : w.profile) rec[name] = v;
    rec["time_step"] = w.seconds / static_cast<double>(w.window_steps);
  }
  // Several terms and the objective's own metrics: values of the window's last step.
  for (const auto& [name, v] : last.term_losses) rec["loss/" + name] = v;
  for (const auto& [name, v] : last.metrics) {
    if (rec.contains(name))
      throw std::runtime_error("objective metric '" + name + "' would overwrite the metrics.jsonl field of that name");
    rec[name] = v;
  }
  metrics.write(rec);
}

}  // namespace

}  // namespace jepa::train
