#pragma once
// Pre-tokenized HDF5 corpus (design.md §3). Layout:
//   /tokens  int32, flat, chunked   -- document bodies, no [CLS]/[SEP]
//   /offsets int64, n_docs + 1      -- doc i is tokens[offsets[i], offsets[i+1])
//   attributes on /: tokenizer, vocab_sha256, vocab_size, cls_id, sep_id, pad_id, mask_id, unk_id,
//                    max_length, source, created_by, n_docs, n_tokens, format_version
// A paired corpus (LLM-JEPA, design.md §9; attribute layout = "paired", format_version 2) holds one full chat example per document
// (its own specials included: <|bos|> [<|system|> .. <|end|>] <|user|> text <|end|> <|assistant|> code <|end|>) and
//   /views          int64, 4 per document: [text_begin, text_end, code_begin, code_end) — the user turn
//                   (<|user|> .. <|end|>) and the assistant turn (<|assistant|> .. <|end|>) inside the document, so
//                   the two views are <|bos|> + those slices and nothing is stored twice
//   /tokenizer_spec uint8: the byte-level BPE (data/bpe.hpp) the ids come from
// with cls_id = <|bos|>, sep_id = <|end|>, mask_id = <|pred|>, pad_id = unk_id = <|pad|> (byte-level BPE has no
// unknown token).
// Readers open read-only and read only the documents asked for: memory is O(batch), not O(corpus).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/tokenizer.hpp"

namespace jepa::data {

// One paired example's views inside its document (a paired corpus).
struct ViewSpans {
  int64_t text_begin = 0, text_end = 0, code_begin = 0, code_end = 0;
};

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
  std::string layout = "documents";  // documents | paired
  std::string tokenizer_spec;        // paired: the BPE's serialisation (BpeTokenizer::to_text)
  bool paired() const { return layout == "paired"; }
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
  // A paired corpus's example (meta.layout = "paired"): the full document and where its views are. The document
  // may be max_length tokens long (no [CLS]/[SEP] are added to it).
  void add_paired(const std::vector<int32_t>& doc, const ViewSpans& views);
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
  // Paired corpora: the view spans of the documents asked for (throws for another layout).
  std::vector<ViewSpans> views(const std::vector<int64_t>& indices) const;
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
