#include "model/predictor.hpp"

namespace jepa::model {

PredictorImpl::PredictorImpl(int64_t dim, int64_t hidden_mult, double dropout) {
  const int64_t hidden = dim * hidden_mult;
  net = register_module("net", torch::nn::Sequential(torch::nn::Linear(dim, hidden),
                                                      torch::nn::GELU(torch::nn::GELUOptions().approximate("none")),
                                                      torch::nn::Dropout(dropout), torch::nn::Linear(hidden, dim)));
}

}  // namespace jepa::model
