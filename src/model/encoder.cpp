#include "model/encoder.hpp"

#include <stdexcept>

#include "model/tiny_encoder.hpp"

namespace jepa::model {

EncoderPtr make_encoder(const config::ModelConfig& cfg, int64_t vocab_size) {
  if (cfg.name == "tiny")
    return std::make_shared<TinyEncoder>(vocab_size, cfg.dim, cfg.layers, cfg.heads, cfg.ff_dim, cfg.dropout,
                                         cfg.max_positions);
  throw std::runtime_error("model.name '" + cfg.name + "' is not supported (supported: tiny)");
}

}  // namespace jepa::model
