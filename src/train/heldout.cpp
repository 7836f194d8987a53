#include "train/heldout.hpp"

#include <stdexcept>

namespace jepa::train {

HeldoutEval::HeldoutEval(const data::CorpusReader& corpus, int64_t first, int64_t count, int64_t batch_size,
                         int64_t max_length, const data::MaskParams& mask, uint64_t seed) {
  if (first < 0 || count < 2 || first + count > corpus.size())
    throw std::runtime_error("held-out set: documents [" + std::to_string(first) + ", " + std::to_string(first + count) +
                             ") are not within the corpus's " + std::to_string(corpus.size()) + " (eval.docs >= 2)");
  for (int64_t b = first; b < first + count; b += batch_size) {
    std::vector<int64_t> docs;
    for (int64_t d = b; d < std::min(first + count, b + batch_size); ++d) docs.push_back(d);
    batches_.push_back(data::read_batch(corpus, docs, std::vector<int64_t>(docs.size(), 0), max_length, mask, seed));
  }
  docs_ = count;
}

HeldoutStats HeldoutEval::run(model::JepaImpl& model, const torch::Device& device) const {
  torch::NoGradGuard no_grad;
  auto& target = *model.target_encoder;
  const bool was_training = target.is_training();
  target.eval();
  std::vector<torch::Tensor> full, masked;
  for (const auto& host : batches_) {
    const auto b = host.to(device);
    full.push_back(mean_pool(target.forward(b.input_ids, b.attention_mask), b.attention_mask).to(torch::kCPU));
    masked.push_back(mean_pool(target.forward(b.masked_input_ids, b.attention_mask), b.attention_mask).to(torch::kCPU));
  }
  target.train(was_training);
  const auto z = torch::cat(full), zp = torch::cat(masked);
  HeldoutStats s;
  s.collapse = collapse_stats(z);
  std::tie(s.alignment, s.uniformity) = alignment_uniformity(z, zp);
  return s;
}

std::pair<double, double> alignment_uniformity(const torch::Tensor& z_in, const torch::Tensor& zp_in) {
  if (z_in.dim() != 2 || z_in.size(0) < 2 || zp_in.sizes() != z_in.sizes())
    throw std::invalid_argument("alignment_uniformity: needs two [N, D] tensors, N >= 2");
  namespace F = torch::nn::functional;
  const auto opts = F::NormalizeFuncOptions().dim(1).eps(1e-12);
  const auto z = F::normalize(z_in.to(torch::kDouble), opts), zp = F::normalize(zp_in.to(torch::kDouble), opts);
  const double alignment = (z - zp).pow(2).sum(1).mean().item<double>();
  const auto n = z.size(0);
  const auto sq = torch::cdist(z, z).pow(2);
  const auto off = torch::ones({n, n}, torch::kBool).logical_xor(torch::eye(n, torch::kBool));
  const double uniformity = std::log(sq.masked_select(off).mul(-2.0).exp().mean().item<double>());
  return {alignment, uniformity};
}

}  // namespace jepa::train
