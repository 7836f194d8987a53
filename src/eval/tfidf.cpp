#include "eval/tfidf.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace jepa::eval {

std::vector<std::string> tfidf_words(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  size_t chars = 0;
  auto flush = [&] {
    if (chars >= 2) out.push_back(word);
    word.clear();
    chars = 0;
  };
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool ascii_word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (ascii_word || c >= 0x80) {
      word.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : ch);
      chars += (c & 0xC0) != 0x80;  // UTF-8 continuation bytes do not start a character
    } else {
      flush();
    }
  }
  flush();
  return out;
}

Tfidf::Tfidf(int64_t max_n, int64_t min_df) : max_n_(max_n), min_df_(min_df) {
  if (max_n < 1 || min_df < 1) throw std::invalid_argument("tfidf: max_n and min_df must be >= 1");
}

std::vector<std::string> Tfidf::terms(std::string_view text) const {
  const auto words = tfidf_words(text);
  std::vector<std::string> out = words;
  for (int64_t n = 2; n <= max_n_; ++n)
    for (size_t i = 0; i + static_cast<size_t>(n) <= words.size(); ++i) {
      std::string t = words[i];
      for (size_t j = 1; j < static_cast<size_t>(n); ++j) t += " " + words[i + j];
      out.push_back(std::move(t));
    }
  return out;
}

void Tfidf::fit(const std::vector<std::string>& docs) {
  std::map<std::string, int64_t> df;  // ordered: the columns come out in byte order
  for (const auto& d : docs) {
    auto t = terms(d);
    std::sort(t.begin(), t.end());
    t.erase(std::unique(t.begin(), t.end()), t.end());
    for (auto& term : t) df[std::move(term)]++;
  }
  column_.clear();
  idf_.clear();
  const auto n = static_cast<double>(docs.size());
  for (const auto& [term, count] : df) {
    if (count < min_df_) continue;
    column_.emplace(term, static_cast<int64_t>(idf_.size()));
    idf_.push_back(std::log((1.0 + n) / (1.0 + static_cast<double>(count))) + 1.0);
  }
  if (idf_.empty())
    throw std::runtime_error("tfidf: no term occurs in " + std::to_string(min_df_) + " or more training documents");
}

torch::Tensor Tfidf::transform(const std::vector<std::string>& docs) const {
  if (idf_.empty()) throw std::logic_error("tfidf: transform before fit");
  auto x = torch::zeros({static_cast<int64_t>(docs.size()), static_cast<int64_t>(idf_.size())}, torch::kDouble);
  auto a = x.accessor<double, 2>();
  for (size_t i = 0; i < docs.size(); ++i) {
    for (const auto& t : terms(docs[i]))
      if (const auto it = column_.find(t); it != column_.end()) a[static_cast<int64_t>(i)][it->second] += 1.0;
    double norm = 0;
    for (size_t j = 0; j < idf_.size(); ++j) {
      auto& v = a[static_cast<int64_t>(i)][static_cast<int64_t>(j)];
      v *= idf_[j];
      norm += v * v;
    }
    if (norm > 0) {
      const double inv = 1.0 / std::sqrt(norm);
      for (size_t j = 0; j < idf_.size(); ++j) a[static_cast<int64_t>(i)][static_cast<int64_t>(j)] *= inv;
    }
  }
  return x;
}

}  // namespace jepa::eval
