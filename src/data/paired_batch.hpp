#pragma once
// Batches of paired examples for LLM-JEPA (design.md §9). Each example is one document of a paired corpus (the
// full chat example) plus the spans of its two views (corpus.hpp). Collation builds, on the host:
//   * the full examples [B, L] and their next-token labels: a position predicts the next token when that token
//     lies in the assistant turn after its <|assistant|> tag (the code and its closing <|end|>), as supervised
//     fine-tuning does; -100 elsewhere;
//   * the view rows: text view = <|bos|> + the user turn + [PRED] x k, code view = <|bos|> + the assistant turn.
//     Packed (jepa.packed): one row per example, text ⊕ code, two block-causal segments whose positions restart
//     (2 forward rows per example with the full one); unpacked: B text rows then B code rows (3 rows);
//   * where each view's last token is (Enc(x) = the last layer's hidden state there).
// Rows are padded on the right or the left (data.padding_side); positions count real tokens, so both sides give
// the same embeddings and losses.
#include <cstdint>
#include <string>
#include <vector>

#include "data/batch.hpp"
#include "data/corpus.hpp"
#include "data/paired_examples.hpp"

namespace jepa::data {

struct PairedParams {
  int64_t pred_tokens = 0;   // k
  bool packed = true;
  bool left_pad = false;
  bool views = true;         // build the view rows (false when the JEPA term is off: NTP only)
  int32_t bos = 0, pad = 0, pred = 0;
};

// The batch of `examples` (see above).
Batch collate_paired(const std::vector<PairedExample>& examples, const PairedParams& p);
// The batch of corpus documents `docs` of a paired corpus: ids checked against the vocabulary.
Batch read_paired_batch(const CorpusReader& corpus, const std::vector<int64_t>& docs, const PairedParams& p);
// Rows [start, start + n) of a paired batch, collated again (Batch::rows).
Batch paired_rows(const Batch& b, int64_t start, int64_t n);

}  // namespace jepa::data
