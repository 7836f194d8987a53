#pragma once
// TF-IDF features of word 1..n-grams, the bag-of-words baseline of the topic probe (docs/evaluation.md). The same
// definition as scikit-learn's TfidfVectorizer(ngram_range=(1, n), min_df=min_df) with its defaults:
//   words      lowercased ASCII; a word is a maximal run of ASCII letters, digits and `_` or of non-ASCII bytes
//              (UTF-8 letters stay whole), kept when at least 2 characters long (sklearn's `\b\w\w+\b`)
//   terms      the words and every run of n consecutive words (n = 2..max_n), joined by one space
//   vocabulary terms occurring in >= min_df training documents, in byte order
//   value      raw count in the document x idf, idf = ln((1 + N) / (1 + df)) + 1 (N = training documents),
//              each row scaled to unit L2 norm (an all-zero row stays zero)
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <torch/torch.h>

namespace jepa::eval {

std::vector<std::string> tfidf_words(std::string_view text);

class Tfidf {
 public:
  Tfidf(int64_t max_n = 2, int64_t min_df = 2);
  // Learns the vocabulary and idf from the training documents. Throws when no term reaches min_df.
  void fit(const std::vector<std::string>& docs);
  // [docs, vocabulary] float64, dense.
  torch::Tensor transform(const std::vector<std::string>& docs) const;
  size_t vocabulary_size() const { return idf_.size(); }

 private:
  std::vector<std::string> terms(std::string_view text) const;

  int64_t max_n_, min_df_;
  std::unordered_map<std::string, int64_t> column_;
  std::vector<double> idf_;
};

}  // namespace jepa::eval
