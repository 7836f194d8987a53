// Timing driver for bench/bench_data.py: our data path for N batches of the training loader -- HDF5 read of the
// batch's documents, vocabulary check, [CLS] body [SEP] truncation, span masks, collation into tensors -- exactly
// what Loader::batch does each step, on one thread. Prints one JSON line: sequences, seconds, sequences_per_s.
//   jepa_bench_data CORPUS.h5 BATCH MAX_LENGTH N_BATCHES
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "data/batch.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: jepa_bench_data CORPUS.h5 BATCH MAX_LENGTH N_BATCHES\n");
    return 2;
  }
  torch::set_num_threads(1);
  auto corpus = std::make_shared<const jepa::data::CorpusReader>(argv[1]);
  const int64_t batch = std::stoll(argv[2]), max_length = std::stoll(argv[3]), n = std::stoll(argv[4]);
  jepa::data::Loader loader(corpus, jepa::data::DistributedSampler(corpus->size(), batch, 0, 1, 42), max_length,
                            jepa::data::MaskParams{}, 42);
  loader.batch(0);  // warm-up: file open, first reads
  int64_t seqs = 0, masked = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t s = 1; s <= n; ++s) {
    const auto b = loader.batch(s);
    seqs += b.input_ids.size(0);
    masked += b.masked;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"sequences\": %lld, \"masked\": %lld, \"seconds\": %.6f, \"sequences_per_s\": %.1f}\n",
              static_cast<long long>(seqs), static_cast<long long>(masked), secs, static_cast<double>(seqs) / secs);
  return 0;
}
