#pragma once
// transformers' BertModel in LibTorch: the same modules, the same math, the same parameter names (without the
// `bert.` prefix: embeddings.word_embeddings.weight, encoder.layer.0.attention.self.query.weight, ...), so a
// model.safetensors moves between the two without renaming. forward() returns last_hidden_state.
//
// Token types are all 0 (row 0 of token_type_embeddings). Positions are 0..L-1 (absolute), derived, not stored:
// `embeddings.position_ids` is not a buffer here. The pooler is never run, but kept as frozen *buffers*
// `pooler.dense.weight/bias` (no gradient, no EMA, not optimised), so a checkpoint and an export carry the source
// model's pooler unchanged and transformers' AutoModel finds every key it expects.
#include "model/hf_encoder.hpp"

namespace jepa::model {

class BertEncoder : public HfEncoder {
 public:
  // Random initialisation like transformers (uses the global torch generator).
  explicit BertEncoder(const HfConfig& cfg);
};

}  // namespace jepa::model
