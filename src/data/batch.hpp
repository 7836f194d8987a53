#pragma once
// A training batch: the two views of each sequence plus the loss mask, padded to the longest sequence.
#include <cstdint>
#include <memory>
#include <optional>
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
  int64_t step = -1;               // the global step the batch was read for (-1: none), e.g. for per-step draws

  // A paired corpus (LLM-JEPA, paired_batch.hpp, design.md §9): input_ids/attention_mask hold the full examples
  // (masked_input_ids = input_ids, nothing masked) and these the next-token targets and the two views.
  struct Paired {
    torch::Tensor labels;          // [B, L] int64: the token each position predicts, -100 where no loss is taken
    int64_t label_count = 0;       // positions with a label (known on the host)
    torch::Tensor view_ids;        // [R, Lv] int64: rows of views (R = B packed, 2B unpacked: text rows, then code)
    torch::Tensor view_positions;  // [R, Lv] int64: RoPE positions, restarting in every segment
    torch::Tensor view_segments;   // [R, Lv] int64: 0 padding, 1 the text view (+ [PRED] x k), 2 the code view
    torch::Tensor text_last;       // [B] int64: flat index (row * Lv + col) of each text view's last token
    torch::Tensor code_last;       // [B] int64: the same for the code views
    std::shared_ptr<const void> source;  // the host examples (paired_batch.cpp), for rows()
  };
  std::optional<Paired> paired;

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
  // A paired corpus: batches of paired examples (paired_batch.hpp) instead of masked documents.
  Loader(std::shared_ptr<const CorpusReader> corpus, DistributedSampler sampler, struct PairedParams paired);
  Batch batch(int64_t step) const;
  const DistributedSampler& sampler() const { return sampler_; }

 private:
  std::shared_ptr<const CorpusReader> corpus_;
  DistributedSampler sampler_;
  int64_t max_length_;
  MaskParams mask_;
  uint64_t seed_;
  std::shared_ptr<const struct PairedParams> paired_;
};

}  // namespace jepa::data
