#pragma once
// Greedy decoding with the LLM-JEPA decoder (jepa_eval --task regex, design.md §9), and the embeddings of paired
// views for the paper's diagnostic.
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "data/paired_batch.hpp"
#include "model/llama_decoder.hpp"

namespace jepa::eval {

// For each prompt, the greedy continuation up to (not including) `stop`, at most max_new tokens. Prompts run in
// batches of `batch_size`, left-padded with `pad` (positions count real tokens, so padding changes nothing); each new
// token re-runs the whole prefix (no key/value cache: prompts and answers are short here).
std::vector<std::vector<int32_t>> greedy_generate(model::LlamaDecoder& dec, const std::vector<std::vector<int32_t>>& prompts,
                                                  int64_t max_new, int32_t stop, int32_t pad, int64_t batch_size,
                                                  const torch::Device& device);

// Enc(text ⊕ [PRED] x k) and Enc(code) [N, D] (fp32, on the CPU) of the examples, as the objective computes them
// (data::collate_paired, unpacked rows).
std::pair<torch::Tensor, torch::Tensor> view_embeddings(model::LlamaDecoder& dec,
                                                        const std::vector<data::PairedExample>& examples,
                                                        const data::PairedParams& params, int64_t batch_size,
                                                        const torch::Device& device);

}  // namespace jepa::eval
