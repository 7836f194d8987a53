#include "eval/generate.hpp"

#include <algorithm>

namespace jepa::eval {

std::vector<std::vector<int32_t>> greedy_generate(model::LlamaDecoder& dec, const std::vector<std::vector<int32_t>>& prompts,
                                                  int64_t max_new, int32_t stop, int32_t pad, int64_t batch_size,
                                                  const torch::Device& device) {
  torch::NoGradGuard no_grad;
  std::vector<std::vector<int32_t>> out(prompts.size());
  for (size_t start = 0; start < prompts.size(); start += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(prompts.size(), start + static_cast<size_t>(batch_size));
    const auto B = static_cast<int64_t>(end - start);
    int64_t L = 0;
    for (size_t i = start; i < end; ++i) L = std::max<int64_t>(L, static_cast<int64_t>(prompts[i].size()));
    auto ids = torch::full({B, L}, static_cast<int64_t>(pad), torch::kLong);
    auto mask = torch::zeros({B, L}, torch::kLong);
    for (int64_t i = 0; i < B; ++i) {
      const auto& p = prompts[start + static_cast<size_t>(i)];
      const auto off = L - static_cast<int64_t>(p.size());
      for (size_t t = 0; t < p.size(); ++t) {
        ids[i][off + static_cast<int64_t>(t)] = p[t];
        mask[i][off + static_cast<int64_t>(t)] = 1;
      }
    }
    ids = ids.to(device);
    mask = mask.to(device);
    std::vector<bool> done(static_cast<size_t>(B), false);
    for (int64_t step = 0; step < max_new; ++step) {
      const auto h = dec.forward(ids, mask);
      const auto next = dec.logits(h.select(1, h.size(1) - 1)).argmax(-1).to(torch::kCPU);
      auto col = torch::full({B, 1}, static_cast<int64_t>(pad), torch::kLong);
      auto col_mask = torch::zeros({B, 1}, torch::kLong);
      bool all_done = true;
      for (int64_t i = 0; i < B; ++i) {
        if (done[static_cast<size_t>(i)]) continue;
        const auto t = static_cast<int32_t>(next[i].item<int64_t>());
        if (t == stop) {
          done[static_cast<size_t>(i)] = true;
          continue;
        }
        out[start + static_cast<size_t>(i)].push_back(t);
        col[i][0] = t;
        col_mask[i][0] = 1;
        all_done = false;
      }
      if (all_done) break;
      ids = torch::cat({ids, col.to(device)}, 1);
      mask = torch::cat({mask, col_mask.to(device)}, 1);
    }
  }
  return out;
}

std::pair<torch::Tensor, torch::Tensor> view_embeddings(model::LlamaDecoder& dec,
                                                        const std::vector<data::PairedExample>& examples,
                                                        const data::PairedParams& params, int64_t batch_size,
                                                        const torch::Device& device) {
  torch::NoGradGuard no_grad;
  auto p = params;
  p.views = true;
  std::vector<torch::Tensor> text, code;
  for (size_t start = 0; start < examples.size(); start += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(examples.size(), start + static_cast<size_t>(batch_size));
    const std::vector<data::PairedExample> part(examples.begin() + static_cast<std::ptrdiff_t>(start),
                                                examples.begin() + static_cast<std::ptrdiff_t>(end));
    const auto b = data::collate_paired(part, p).to(device);
    const auto& v = *b.paired;
    const auto h = dec.forward_segments(v.view_ids, v.view_positions, v.view_segments);
    const auto flat = h.reshape({-1, h.size(-1)});
    text.push_back(flat.index_select(0, v.text_last).to(torch::kFloat).cpu());
    code.push_back(flat.index_select(0, v.code_last).to(torch::kFloat).cpu());
  }
  return {torch::cat(text), torch::cat(code)};
}

}  // namespace jepa::eval
