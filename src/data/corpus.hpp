#pragma once
// Pre-tokenized HDF5 corpus (design.md §3). Layout:
//   /tokens  int32, flat, chunked   -- document bodies, no [CLS]/[SEP]
//   /offsets int64, n_docs + 1      -- doc i is tokens[offsets[i], offsets[i+1])
//   attributes on /: tokenizer, vocab_sha256, vocab_size, cls_id, sep_id, pad_id, mask_id, unk_id,
//                    max_length, source, created_by, n_docs, n_tokens, format_version
// Readers open read-only and read only the documents asked for: memory is O(batch), not O(corpus).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/tokenizer.hpp"

namespace jepa::data {

struct CorpusMeta {
  std::string tokenizer = "bert-wordpiece-uncased";
  std::string vocab_sha256;
  int64_t vocab_size = 0;
  SpecialIds special;
  int64_t max_length = 512;  // bodies were truncated to max_length - 2 at prep time
  std::string source;
  std::string created_by;
  int64_t n_docs = 0;
  int64_t n_tokens = 0;
};

// Writes to `<path>.tmp` and renames on close(), so an existing corpus is never clobbered by a failed prep.
class CorpusWriter {
 public:
  CorpusWriter(const std::string& path, CorpusMeta meta);
  // deflate_level 1..9 compresses both datasets (shuffle + deflate); 0 (the default above) stores them raw,
  // which keeps random document reads cheapest.
  CorpusWriter(const std::string& path, CorpusMeta meta, int deflate_level);
  ~CorpusWriter();
  CorpusWriter(const CorpusWriter&) = delete;
  CorpusWriter& operator=(const CorpusWriter&) = delete;
  void add(const std::vector<int32_t>& body);
  void close();
  int64_t docs() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Throws std::runtime_error with a one-line message naming the file and what is wrong
// (missing file, not HDF5, missing/misshapen dataset or attribute, offsets not monotonic, ...).
class CorpusReader {
 public:
  explicit CorpusReader(const std::string& path);
  ~CorpusReader();
  CorpusReader(const CorpusReader&) = delete;
  CorpusReader& operator=(const CorpusReader&) = delete;

  int64_t size() const;  // number of documents
  const CorpusMeta& meta() const;
  std::vector<int32_t> doc(int64_t i) const;
  std::vector<std::vector<int32_t>> docs(const std::vector<int64_t>& indices) const;
  // Token counts of the documents asked for: a read of their offsets only.
  std::vector<int64_t> lengths(const std::vector<int64_t>& indices) const;
  // Throws when the corpus was made with another vocabulary.
  void check_vocab(const std::string& vocab_sha256) const;
  // The same for a vocabulary file: one line naming it (`what`: where it came from, e.g. "data.vocab") and the
  // corpus, also when the file cannot be read.
  void check_vocab_file(const std::string& vocab_path, const std::string& what) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jepa::data
