#include "data/batch.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "data/paired_batch.hpp"

namespace jepa::data {

Batch Batch::to(const torch::Device& device) const {
  Batch b = *this;
  b.input_ids = input_ids.to(device);
  b.attention_mask = attention_mask.to(device);
  b.masked_input_ids = masked_input_ids.to(device);
  b.pred_mask = pred_mask.to(device);
  b.masked_index = masked_index.to(device);
  if (paired) {
    auto& p = *b.paired;
    for (auto* t : {&p.labels, &p.view_ids, &p.view_positions, &p.view_segments, &p.text_last, &p.code_last})
      if (t->defined()) *t = t->to(device);
  }
  return b;
}

Batch Batch::rows(int64_t start, int64_t n) const {
  if (paired) {  // collated again from its examples: the views' layout depends on which rows are together
    Batch b = paired_rows(*this, start, n);
    b.step = step;
    return b;
  }
  Batch b;
  b.step = step;
  const auto mask = attention_mask.narrow(0, start, n);
  const int64_t L = mask.numel() ? mask.sum(1).max().item<int64_t>() : 0;  // real tokens are a prefix of each row
  const auto cut = [&](const torch::Tensor& t) { return t.narrow(0, start, n).narrow(1, 0, L).contiguous(); };
  b.input_ids = cut(input_ids);
  b.attention_mask = cut(attention_mask);
  b.masked_input_ids = cut(masked_input_ids);
  b.pred_mask = cut(pred_mask);
  b.docs.assign(docs.begin() + start, docs.begin() + start + n);
  b.tokens = b.attention_mask.sum().item<int64_t>();  // host tensors: no device synchronisation
  b.masked_index = b.pred_mask.reshape({-1}).nonzero().squeeze(1);
  b.masked = b.masked_index.numel();
  return b;
}

Batch collate(const std::vector<std::vector<int32_t>>& seqs, const std::vector<std::vector<uint8_t>>& masks,
              const SpecialIds& special) {
  const auto B = static_cast<int64_t>(seqs.size());
  int64_t L = 0;
  for (const auto& s : seqs) L = std::max<int64_t>(L, static_cast<int64_t>(s.size()));
  // One pass over raw buffers writes all four views and the masked positions (no fill, masked_fill or nonzero
  // passes: collation is on every step's path, design.md §3).
  Batch b;
  b.input_ids = torch::empty({B, L}, torch::kLong);
  b.attention_mask = torch::empty({B, L}, torch::kLong);
  b.masked_input_ids = torch::empty({B, L}, torch::kLong);
  b.pred_mask = torch::empty({B, L}, torch::kBool);
  auto* ids = b.input_ids.data_ptr<int64_t>();
  auto* att = b.attention_mask.data_ptr<int64_t>();
  auto* ctx = b.masked_input_ids.data_ptr<int64_t>();
  auto* pm = b.pred_mask.data_ptr<bool>();
  std::vector<int64_t> masked;
  for (int64_t i = 0; i < B; ++i) {
    const auto& s = seqs[static_cast<size_t>(i)];
    const auto& m = masks[static_cast<size_t>(i)];
    const auto n = static_cast<int64_t>(s.size());
    for (int64_t j = 0; j < L; ++j) {
      const int64_t k = i * L + j;
      const bool real = j < n, hide = real && m[static_cast<size_t>(j)] != 0;
      ids[k] = real ? s[static_cast<size_t>(j)] : special.pad;
      att[k] = real ? 1 : 0;
      pm[k] = hide;
      ctx[k] = hide ? special.mask : ids[k];
      if (hide) masked.push_back(k);
    }
    b.tokens += n;
  }
  b.masked = static_cast<int64_t>(masked.size());
  b.masked_index = torch::tensor(masked, torch::dtype(torch::kLong));  // on the host: selecting needs no device sync
  return b;
}

Loader::Loader(std::shared_ptr<const CorpusReader> corpus, DistributedSampler sampler, int64_t max_length,
               MaskParams mask, uint64_t seed)
    : corpus_(std::move(corpus)), sampler_(std::move(sampler)), max_length_(max_length), mask_(mask), seed_(seed) {}

Loader::Loader(std::shared_ptr<const CorpusReader> corpus, DistributedSampler sampler, PairedParams paired)
    : corpus_(std::move(corpus)), sampler_(std::move(sampler)), max_length_(0), mask_{}, seed_(0),
      paired_(std::make_shared<const PairedParams>(std::move(paired))) {}

Batch Loader::batch(int64_t step) const {
  std::vector<int64_t> docs, epochs;
  for (const auto& r : sampler_.local_batch(step)) {
    docs.push_back(r.doc);
    epochs.push_back(r.epoch);
  }
  Batch b = paired_ ? read_paired_batch(*corpus_, docs, *paired_) : read_batch(*corpus_, docs, epochs, max_length_, mask_, seed_);
  b.step = step;
  return b;
}

Batch read_batch(const CorpusReader& corpus, const std::vector<int64_t>& docs, const std::vector<int64_t>& epochs,
                 int64_t max_length, const MaskParams& mask, uint64_t seed) {
  const auto bodies = corpus.docs(docs);
  const auto& special = corpus.meta().special;
  const int64_t vocab = corpus.meta().vocab_size;
  for (size_t i = 0; i < bodies.size(); ++i)
    for (int32_t t : bodies[i])
      if (t < 0 || t >= vocab)  // an embedding lookup would fail (on CUDA: a device assert that hangs other ranks)
        throw std::runtime_error("corpus document " + std::to_string(docs[i]) + " holds token id " + std::to_string(t) +
                                 ", outside its vocabulary of " + std::to_string(vocab));
  std::vector<std::vector<int32_t>> seqs;
  std::vector<std::vector<uint8_t>> masks;
  for (size_t i = 0; i < docs.size(); ++i) {
    seqs.push_back(with_specials(bodies[i], max_length, special));
    Rng rng = mask_rng(seed, static_cast<uint64_t>(epochs[i]), static_cast<uint64_t>(docs[i]));
    masks.push_back(span_mask(seqs.back(), special, mask, rng));
  }
  Batch b = collate(seqs, masks, special);
  b.docs = docs;
  return b;
}

}  // namespace jepa::data
