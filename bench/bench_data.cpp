// Timing driver for bench/bench_data.py: our data path for N batches of the training loader -- HDF5 read of the
// batch's documents, vocabulary check, [CLS] body [SEP] truncation, span masks, collation into tensors -- exactly
// what Loader::batch does each step, on one thread. Prints one JSON line: sequences, seconds, sequences_per_s.
// With --masking-only, the documents are read into memory first and only what the reference's Python masker row
// does is timed: [CLS] body [SEP] truncation, span masks and collation into tensors.
//   jepa_bench_data CORPUS.h5 BATCH MAX_LENGTH N_BATCHES [--masking-only]
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "data/batch.hpp"

int main(int argc, char** argv) {
  const bool masking_only = argc == 6 && std::string(argv[5]) == "--masking-only";
  if (argc != 5 && !masking_only) {
    std::fprintf(stderr, "usage: jepa_bench_data CORPUS.h5 BATCH MAX_LENGTH N_BATCHES [--masking-only]\n");
    return 2;
  }
  torch::set_num_threads(1);
  auto corpus = std::make_shared<const jepa::data::CorpusReader>(argv[1]);
  const int64_t batch = std::stoll(argv[2]), max_length = std::stoll(argv[3]), n = std::stoll(argv[4]);
  jepa::data::Loader loader(corpus, jepa::data::DistributedSampler(corpus->size(), batch, 0, 1, 42), max_length,
                            jepa::data::MaskParams{}, 42);
  loader.batch(0);  // warm-up: file open, first reads
  // --masking-only: every batch's bodies, read beforehand (the Python row's pre-tokenized ids).
  std::vector<std::vector<std::vector<int32_t>>> bodies;
  std::vector<std::vector<int64_t>> docs;
  if (masking_only)
    for (int64_t s = 1; s <= n; ++s) {
      docs.emplace_back();
      for (const auto& r : loader.sampler().local_batch(s)) docs.back().push_back(r.doc);
      bodies.push_back(corpus->docs(docs.back()));
    }
  const auto& special = corpus->meta().special;
  int64_t seqs = 0, masked = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t s = 1; s <= n; ++s) {
    jepa::data::Batch b;
    if (masking_only) {
      std::vector<std::vector<int32_t>> ids;
      std::vector<std::vector<uint8_t>> masks;
      const auto& batch = bodies[static_cast<size_t>(s - 1)];
      for (size_t i = 0; i < batch.size(); ++i) {
        ids.push_back(jepa::data::with_specials(batch[i], max_length, special));
        auto rng = jepa::data::mask_rng(42, 0, static_cast<uint64_t>(docs[static_cast<size_t>(s - 1)][i]));
        masks.push_back(jepa::data::span_mask(ids.back(), special, jepa::data::MaskParams{}, rng));
      }
      b = jepa::data::collate(ids, masks, special);
    } else {
      b = loader.batch(s);
    }
    seqs += b.input_ids.size(0);
    masked += b.masked;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"sequences\": %lld, \"masked\": %lld, \"seconds\": %.6f, \"sequences_per_s\": %.1f}\n",
              static_cast<long long>(seqs), static_cast<long long>(masked), secs, static_cast<double>(seqs) / secs);
  return 0;
}
