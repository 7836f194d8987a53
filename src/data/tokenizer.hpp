#pragma once
// BERT-uncased WordPiece tokenizer (the same text -> ids mapping as HF `tokenizers`' BertWordPieceTokenizer),
// reading a local vocab.txt. No LibTorch here: jepa_prep and the data pipeline stay light.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace jepa::data {

struct SpecialIds {
  int32_t pad = 0, unk = 100, cls = 101, sep = 102, mask = 103;
};

class WordPieceTokenizer {
 public:
  // Throws std::runtime_error naming the file when it is missing, empty or lacks a special token.
  static WordPieceTokenizer from_vocab_file(const std::string& path, bool lowercase = true);

  // Body ids only: no [CLS]/[SEP], no truncation.
  std::vector<int32_t> tokenize_body(std::string_view text) const;
  // with_specials(tokenize_body(text), max_length, special()): as HF with truncation=True, max_length=max_length.
  std::vector<int32_t> encode(std::string_view text, size_t max_length) const;
  // Word pieces as strings (debugging, tests).
  std::vector<std::string> tokenize(std::string_view text) const;

  const SpecialIds& special() const { return special_; }
  size_t vocab_size() const { return id_to_token_.size(); }
  const std::string& vocab_sha256() const { return vocab_sha256_; }
  // -1 when absent.
  int32_t token_to_id(const std::string& token) const;
  const std::string& id_to_token(int32_t id) const { return id_to_token_.at(static_cast<size_t>(id)); }

 private:
  // Shared body of tokenize_body/tokenize: appends ids and/or piece strings (either may be null).
  void run(std::string_view text, std::vector<int32_t>* ids, std::vector<std::string>* pieces) const;
  // Greedy longest-match-first WordPiece of one pre-tokenized word (code points).
  void wordpiece(const std::u32string& word, std::vector<int32_t>* ids, std::vector<std::string>* pieces) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::array<std::pair<std::string, int32_t>, 5> specials_;  // matched literally in the raw text
  size_t max_token_bytes_ = 0;                                // longest vocab entry, bounds the WordPiece search
  std::vector<std::string> id_to_token_;
  SpecialIds special_;
  std::string vocab_sha256_;
  bool lowercase_ = true;
};

// [CLS] body[: max_length-2] [SEP] (just [CLS] [SEP] when max_length < 2). The one place a body becomes an encoder
// sequence: WordPieceTokenizer::encode (raw text) and the batch loader (corpus bodies) both go through it.
std::vector<int32_t> with_specials(const std::vector<int32_t>& body, int64_t max_length, const SpecialIds& special);

// SHA-256 of a file's bytes as lowercase hex (OpenSSL). Throws if unreadable.
std::string sha256_file(const std::string& path);
// SHA-256 of `data` as lowercase hex.
std::string sha256_hex(std::string_view data);

}  // namespace jepa::data
