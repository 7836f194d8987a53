#include "objective/llm_jepa_objective.hpp"

#include <stdexcept>

#include <ATen/autocast_mode.h>

#include "data/rng.hpp"
#include "model/llama_decoder.hpp"
#include "objective/jepa_objective.hpp"

namespace jepa::objective {
namespace {

model::LlamaDecoder& decoder_of(model::JepaImpl& model) {
  auto* dec = dynamic_cast<model::LlamaDecoder*>(model.context_encoder.get());
  if (!dec) throw std::runtime_error("train.objective=llm_jepa needs a decoder: set model.name=llama (model=llama_tiny)");
  return *dec;
}

const data::Batch::Paired& paired_of(const data::Batch& b) {
  if (!b.paired)
    throw std::runtime_error("train.objective=llm_jepa needs a paired corpus (text/code examples): make one with "
                             "jepa_prep --paired");
  return *b.paired;
}

// Autocast off for its scope (bf16 training): the LM head's logits and the InfoNCE similarities are computed in
// fp32, as the header promises; casting a bf16 result afterwards would not restore the lost precision.
class Fp32Scope {
 public:
  Fp32Scope() : was_(at::autocast::is_autocast_enabled(at::kCUDA)) {
    if (was_) at::autocast::set_autocast_enabled(at::kCUDA, false);
  }
  ~Fp32Scope() {
    if (was_) at::autocast::set_autocast_enabled(at::kCUDA, true);
  }
  Fp32Scope(const Fp32Scope&) = delete;
  Fp32Scope& operator=(const Fp32Scope&) = delete;

 private:
  bool was_;
};

// The rows of every rank's `local` [n, D] in rank order, with the gradient of this rank's own rows (global_sum
// over a zero-padded block per rank).
torch::Tensor gather_rows(const Collectives& c, const torch::Tensor& local) {
  if (c.size == 1) return local;
  auto sizes = torch::zeros({c.size}, local.options().dtype(torch::kFloat));
  sizes[c.rank] = static_cast<double>(local.size(0));
  sizes = c.sum(sizes).to(torch::kCPU);
  int64_t total = 0, offset = 0;
  for (int r = 0; r < c.size; ++r) {
    const auto n = static_cast<int64_t>(sizes[r].item<double>());
    if (r < c.rank) offset += n;
    total += n;
  }
  auto padded = torch::zeros({total, local.size(1)}, local.options());
  padded = padded.index_copy(0, torch::arange(offset, offset + local.size(0), local.options().dtype(torch::kLong)), local);
  return global_sum(c, padded);
}

}  // namespace

torch::Tensor pair_distance_sum(const torch::Tensor& t, const torch::Tensor& c, const std::string& distance) {
  if (distance == "cosine" || distance == "mse") return distance_sum(t, c, distance);
  if (distance == "l2") return (t.to(torch::kFloat) - c.to(torch::kFloat)).norm(2, -1).sum();
  throw std::runtime_error("jepa.distance '" + distance + "' is not one of cosine, mse, l2 (infonce is not pairwise)");
}

LlmJepaObjective::LlmJepaObjective(const config::Config& cfg)
    : lambda_(cfg.jepa.lambda),
      gamma_(cfg.jepa.gamma),
      temperature_(cfg.jepa.infonce_temperature),
      dropout_(cfg.jepa.loss_dropout),
      distance_(cfg.jepa.distance),
      seed_(static_cast<uint64_t>(cfg.train.seed)) {
  if (distance_ != "cosine" && distance_ != "mse" && distance_ != "l2" && distance_ != "infonce")
    throw std::runtime_error("jepa.distance '" + distance_ + "' is not one of cosine, mse, l2, infonce");
}

bool LlmJepaObjective::drops_views(const data::Batch& batch) const {
  if (dropout_ <= 0 || batch.step < 0) return false;
  data::Rng rng(data::derive_seed({seed_, static_cast<uint64_t>(batch.step), 0x6c6a65706164ULL}));  // "ljepad"
  return rng.uniform() < dropout_;
}

std::optional<std::vector<int64_t>> LlmJepaObjective::term_counts(const data::Batch& batch) const {
  const auto& p = paired_of(batch);
  std::vector<int64_t> counts{p.label_count};
  if (lambda_ > 0) {
    const bool off = drops_views(batch);
    counts.push_back(distance_ == "infonce" ? (off ? 0 : once_count(collectives()))
                                            : (off ? 0 : batch.input_ids.size(0)));
  }
  return counts;
}

Output LlmJepaObjective::compute(model::JepaImpl& model, const data::Batch& b) {
  auto& dec = decoder_of(model);
  const auto& p = paired_of(b);
  Output out;
  // Next-token loss over the full examples.
  const auto hidden = dec.forward(b.input_ids, b.attention_mask);
  torch::Tensor logits;
  {
    Fp32Scope fp32;
    logits = dec.logits(hidden.to(torch::kFloat));
  }
  const auto V = logits.size(-1);
  const auto ntp = torch::nn::functional::cross_entropy(
      logits.reshape({-1, V}), p.labels.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum));
  out.terms.push_back({"ntp", ntp, p.label_count, gamma_});
  if (lambda_ <= 0) return out;
  if (!p.view_ids.defined()) throw std::runtime_error("llm_jepa: the batch has no view rows (jepa.lambda > 0 needs them)");
  if (drops_views(b)) {  // loss dropout: this step trains on the next-token loss alone
    out.terms.push_back({"jepa", torch::zeros({}, logits.options()), 0, lambda_});
    out.metrics["jepa_dropped"] = 1.0;
    return out;
  }
  const auto h = dec.forward_segments(p.view_ids, p.view_positions, p.view_segments);
  const auto flat = h.reshape({-1, h.size(-1)});
  const auto text = flat.index_select(0, p.text_last).to(torch::kFloat);
  const auto code = flat.index_select(0, p.code_last).to(torch::kFloat);
  if (distance_ == "infonce") {
    namespace F = torch::nn::functional;
    const auto opts = F::NormalizeFuncOptions().dim(-1).eps(1e-12);
    const auto t = gather_rows(collectives(), F::normalize(text, opts));
    const auto c = gather_rows(collectives(), F::normalize(code, opts));
    torch::Tensor sim;
    {
      Fp32Scope fp32;
      sim = torch::matmul(t, c.t()) / temperature_;
    }
    const auto target = torch::arange(sim.size(0), sim.options().dtype(torch::kLong));
    const auto value = F::cross_entropy(sim, target);  // the mean over the global batch, the same on every rank
    out.terms.push_back(once_term(collectives(), "jepa", value, lambda_));
  } else {
    out.terms.push_back({"jepa", pair_distance_sum(text, code, distance_), text.size(0), lambda_});
  }
  return out;
}

}  // namespace jepa::objective
