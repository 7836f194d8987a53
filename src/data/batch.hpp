#pragma once
// A training batch: the two views of each sequence plus the loss mask, padded to the longest sequence.
#include <cstdint>
#include <memory>
#include <vector>

#include <torch/types.h>

#include "data/corpus.hpp"
#include "data/masker.hpp"
#include "data/sampler.hpp"
#include "data/tokenizer.hpp"  // with_specials, which the Loader applies to each corpus body

namespace jepa::data {

struct Batch {
  torch::Tensor input_ids;         // [B, L] int64, target view (original ids)
  torch::Tensor attention_mask;    // [B, L] int64, 1 = real token
  torch::Tensor masked_input_ids;  // [B, L] int64, context view ([MASK] at masked positions)
  torch::Tensor pred_mask;         // [B, L] bool, positions the loss is computed on
  std::vector<int64_t> docs;       // corpus index of each row
  int64_t tokens = 0;              // real (non-pad) tokens in the batch
  torch::Tensor masked_index;      // [masked] int64: flat indices (row * L + col) of the pred_mask positions, made on
                                   // the host, so selecting them on a device needs no nonzero() (no synchronisation)
  int64_t masked = 0;              // how many (known on the host)

  Batch to(const torch::Device& device) const;
  // Rows [start, start + n) as a batch of its own (host tensors), padded only to its own longest sequence: a
  // micro-batch of gradient accumulation (train.grad_accum).
  Batch rows(int64_t start, int64_t n) const;
};

// Pads `seqs` (each [CLS]..[SEP]) to the longest with [PAD]; masked positions become [MASK] in the context view.
Batch collate(const std::vector<std::vector<int32_t>>& seqs, const std::vector<std::vector<uint8_t>>& masks,
              const SpecialIds& special);

// The batch of corpus documents `docs` (document i masked as in epoch epochs[i]): bodies read in one call, token ids
// checked against the vocabulary, [CLS] body [SEP] truncated to max_length, span masks from (seed, epoch, doc).
Batch read_batch(const CorpusReader& corpus, const std::vector<int64_t>& docs, const std::vector<int64_t>& epochs,
                 int64_t max_length, const MaskParams& mask, uint64_t seed);

// Reads this rank's documents of a global step from the corpus and builds the batch.
class Loader {
 public:
  Loader(std::shared_ptr<const CorpusReader> corpus, DistributedSampler sampler, int64_t max_length,
         MaskParams mask, uint64_t seed);
  Batch batch(int64_t step) const;
  const DistributedSampler& sampler() const { return sampler_; }

 private:
  std::shared_ptr<const CorpusReader> corpus_;
  DistributedSampler sampler_;
  int64_t max_length_;
  MaskParams mask_;
  uint64_t seed_;
};

}  // namespace jepa::data
