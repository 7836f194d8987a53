#pragma once
// Shared fixtures for trainer tests: a synthetic HDF5 corpus and a small, fast config.
#include <filesystem>
#include <random>
#include <string>

#include "config/config.hpp"
#include "data/corpus.hpp"

namespace jepa::fixtures {

inline std::filesystem::path scratch(const std::string& name) {
  auto d = std::filesystem::path(JEPA_BUILD_DIR) / "test_tmp" / name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

// `docs` random documents of 3..40 ids over a vocabulary of 200 (ids 0..103 are BERT's specials region).
inline std::string synthetic_corpus(const std::filesystem::path& dir, int docs = 64, uint32_t seed = 5) {
  const auto path = (dir / "corpus.h5").string();
  data::CorpusMeta meta;
  meta.vocab_size = 200;
  meta.vocab_sha256 = std::string(64, 'a');
  meta.source = "synthetic";
  meta.created_by = "tests";
  data::CorpusWriter w(path, meta);
  std::mt19937 rng(seed);
  for (int d = 0; d < docs; ++d) {
    std::vector<int32_t> body(3 + rng() % 38);
    for (auto& t : body) t = 104 + static_cast<int32_t>(rng() % 96);
    w.add(body);
  }
  w.close();
  return path;
}

// A 2-layer, 32-wide encoder with dropout 0 (exact comparisons).
inline config::ModelConfig small_model() {
  config::ModelConfig m;
  m.dim = 32;
  m.layers = 2;
  m.heads = 4;
  m.ff_dim = 64;
  m.dropout = 0.0;
  m.pred_dropout = 0.0;
  m.max_positions = 64;
  return m;
}

inline config::Config small_config(const std::filesystem::path& dir, const std::string& corpus) {
  config::Config c;
  c.model.dim = 32;
  c.model.layers = 2;
  c.model.heads = 4;
  c.model.ff_dim = 64;
  c.model.dropout = 0.1;  // exercised on purpose: resume must restore the RNG
  c.model.max_positions = 64;
  c.data.path = corpus;
  c.data.max_length = 32;
  c.train.batch_size = 4;
  c.train.steps = 24;
  c.train.log_every = 4;
  c.train.save_every = 8;
  c.train.device = "cpu";
  c.optim.warmup_steps = 5;
  c.run.dir = (dir / "run").string();
  return c;
}

}  // namespace jepa::fixtures
