#include "data/paired_batch.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace jepa::data {
namespace {

struct Source {
  std::vector<PairedExample> examples;
  PairedParams params;
};

// Rows of token segments padded to the longest row: ids, positions (restarting per segment), segment numbers
// (1, 2, ...; 0 = padding), and the flat index of each row's last token of segment `last_of`.
struct Rows {
  torch::Tensor ids, positions, segments;
  std::vector<int64_t> row_len;
  int64_t L = 0;
};

Rows pad_rows(const std::vector<std::vector<std::vector<int32_t>>>& rows, const PairedParams& p) {
  Rows r;
  const auto R = static_cast<int64_t>(rows.size());
  for (const auto& row : rows) {
    int64_t n = 0;
    for (const auto& seg : row) n += static_cast<int64_t>(seg.size());
    r.row_len.push_back(n);
    r.L = std::max(r.L, n);
  }
  r.ids = torch::full({R, r.L}, static_cast<int64_t>(p.pad), torch::kLong);
  r.positions = torch::zeros({R, r.L}, torch::kLong);
  r.segments = torch::zeros({R, r.L}, torch::kLong);
  auto* ids = r.ids.data_ptr<int64_t>();
  auto* pos = r.positions.data_ptr<int64_t>();
  auto* segs = r.segments.data_ptr<int64_t>();
  for (int64_t i = 0; i < R; ++i) {
    int64_t j = p.left_pad ? r.L - r.row_len[static_cast<size_t>(i)] : 0;
    int64_t s = 1;
    for (const auto& seg : rows[static_cast<size_t>(i)]) {
      for (size_t t = 0; t < seg.size(); ++t, ++j) {
        ids[i * r.L + j] = seg[t];
        pos[i * r.L + j] = static_cast<int64_t>(t);
        segs[i * r.L + j] = s;
      }
      ++s;
    }
  }
  return r;
}

// Where row i's segment `seg` (0-based) ends: the flat index of its last token.
int64_t last_index(const Rows& r, const std::vector<std::vector<std::vector<int32_t>>>& rows, int64_t i, size_t seg,
                   bool left_pad) {
  int64_t j = left_pad ? r.L - r.row_len[static_cast<size_t>(i)] : 0;
  for (size_t s = 0; s <= seg; ++s) j += static_cast<int64_t>(rows[static_cast<size_t>(i)][s].size());
  return i * r.L + j - 1;
}

}  // namespace

Batch collate_paired(const std::vector<PairedExample>& examples, const PairedParams& p) {
  const auto B = static_cast<int64_t>(examples.size());
  std::vector<std::vector<std::vector<int32_t>>> full;
  for (const auto& e : examples) full.push_back({e.doc});
  Rows f = pad_rows(full, p);
  Batch b;
  b.input_ids = f.ids;
  b.attention_mask = (f.segments > 0).to(torch::kLong);
  b.masked_input_ids = f.ids;
  b.pred_mask = torch::zeros({B, f.L}, torch::kBool);
  b.masked_index = torch::zeros({0}, torch::kLong);
  Batch::Paired pb;
  pb.labels = torch::full({B, f.L}, int64_t{-100}, torch::kLong);
  auto* lab = pb.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < B; ++i) {
    const auto& e = examples[static_cast<size_t>(i)];
    const auto n = static_cast<int64_t>(e.doc.size());
    const int64_t off = p.left_pad ? f.L - n : 0;
    // Positions predicting the assistant turn's tokens after its tag: the code and its closing <|end|>.
    for (int64_t t = e.views.code_begin + 1; t < e.views.code_end; ++t) {
      lab[i * f.L + off + t - 1] = e.doc[static_cast<size_t>(t)];
      ++pb.label_count;
    }
    b.tokens += n;
  }
  if (p.views) {
    std::vector<std::vector<int32_t>> text, code;
    for (const auto& e : examples) {
      std::vector<int32_t> t{p.bos};
      t.insert(t.end(), e.doc.begin() + e.views.text_begin, e.doc.begin() + e.views.text_end);
      t.insert(t.end(), static_cast<size_t>(p.pred_tokens), p.pred);
      std::vector<int32_t> c{p.bos};
      c.insert(c.end(), e.doc.begin() + e.views.code_begin, e.doc.begin() + e.views.code_end);
      text.push_back(std::move(t));
      code.push_back(std::move(c));
    }
    std::vector<std::vector<std::vector<int32_t>>> rows;
    if (p.packed)
      for (int64_t i = 0; i < B; ++i) rows.push_back({text[static_cast<size_t>(i)], code[static_cast<size_t>(i)]});
    else {
      for (auto& t : text) rows.push_back({t});
      for (auto& c : code) rows.push_back({c});
    }
    Rows v = pad_rows(rows, p);
    pb.view_ids = v.ids;
    pb.view_positions = v.positions;
    pb.view_segments = v.segments;
    pb.text_last = torch::empty({B}, torch::kLong);
    pb.code_last = torch::empty({B}, torch::kLong);
    for (int64_t i = 0; i < B; ++i) {
      pb.text_last[i] = last_index(v, rows, i, 0, p.left_pad);
      pb.code_last[i] = p.packed ? last_index(v, rows, i, 1, p.left_pad) : last_index(v, rows, B + i, 0, p.left_pad);
    }
  }
  auto src = std::make_shared<Source>();
  src->examples = examples;
  src->params = p;
  pb.source = src;
  b.paired = std::move(pb);
  return b;
}

Batch read_paired_batch(const CorpusReader& corpus, const std::vector<int64_t>& docs, const PairedParams& p) {
  auto bodies = corpus.docs(docs);
  const auto spans = corpus.views(docs);
  const int64_t vocab = corpus.meta().vocab_size;
  std::vector<PairedExample> examples;
  for (size_t i = 0; i < bodies.size(); ++i) {
    for (int32_t t : bodies[i])
      if (t < 0 || t >= vocab)
        throw std::runtime_error("corpus document " + std::to_string(docs[i]) + " holds token id " + std::to_string(t) +
                                 ", outside its vocabulary of " + std::to_string(vocab));
    examples.push_back({std::move(bodies[i]), spans[i]});
  }
  Batch b = collate_paired(examples, p);
  b.docs = docs;
  return b;
}

Batch paired_rows(const Batch& b, int64_t start, int64_t n) {
  const auto& src = *std::static_pointer_cast<const Source>(b.paired->source);
  std::vector<PairedExample> part(src.examples.begin() + start, src.examples.begin() + start + n);
  Batch out = collate_paired(part, src.params);
  if (!b.docs.empty()) out.docs.assign(b.docs.begin() + start, b.docs.begin() + start + n);
  return out;
}

}  // namespace jepa::data
