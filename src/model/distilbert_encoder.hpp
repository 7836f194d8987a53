#pragma once
// transformers' DistilBertModel in LibTorch, with its parameter names (without the `distilbert.` prefix):
// embeddings.{word_embeddings,position_embeddings,LayerNorm}, transformer.layer.N.attention.{q,k,v,out}_lin,
// sa_layer_norm, ffn.lin1/lin2, output_layer_norm. forward() returns last_hidden_state.
//
// sinusoidal_pos_embds only changes the initialisation of embeddings.position_embeddings (sin/cos table); the
// table stays a trainable parameter, as in transformers 5 (4.x froze it). LayerNorm eps is 1e-12, as transformers.
#include "model/hf_encoder.hpp"

namespace jepa::model {

class DistilBertEncoder : public HfEncoder {
 public:
  explicit DistilBertEncoder(const HfConfig& cfg);
};

// The sinusoidal position table of transformers' create_sinusoidal_embeddings: [n_pos, dim].
torch::Tensor sinusoidal_positions(int64_t n_pos, int64_t dim);

}  // namespace jepa::model
