#pragma once
// Byte-level BPE tokenizer for decoder LMs: trained by jepa_prep on the corpus, stored (to_text) in the corpus's
// HDF5 file, and used by the data loader and jepa_eval. No LibTorch here.
//
// Model. Ids 0..255 are the bytes. Each merge (left id, right id) -> id has a rank (its position in the merge
// list); the merged token's bytes are left's bytes + right's bytes. A token is identified by its byte string: when
// a merge produces bytes that already have an id (two merge routes to one string, e.g. (a,bc) after (ab,c)), it
// reuses that id instead of adding a duplicate (as HF `tokenizers`' BpeTrainer and tiktoken do). Special tokens
// come last, after the merged tokens, with ids in the order given.
//
// Pre-tokenization. A text is cut before every space (0x20 only): each chunk is an optional leading space plus the
// following run of non-space bytes ("a  b\n c" -> "a", " ", " b\n", " c"). Merges never cross chunks. This is
// HF's pre_tokenizers.Split(" ", "merged_with_next") followed by ByteLevel(add_prefix_space=False, use_regex=False).
//
// Encoding (per chunk, cached): repeatedly merge the adjacent pair of lowest rank, the leftmost one among equal
// ranks, until no adjacent pair has a merge (HF `tokenizers`' BPE model: same algorithm, same ids; see
// tests/golden/test_bpe_hf.py). decode(encode(s)) == s for every byte string.
//
// Training. Chunk frequencies are counted once; then the most frequent adjacent pair (over chunks weighted by
// frequency) is merged, ties broken by the smaller (left id, right id), until vocab_size ids exist counting the
// specials, or no adjacent pair is left anywhere (every chunk is one token): then the vocabulary is smaller than
// asked (vocab_size() tells). Pairs of frequency 1 are merged too. A pair that reappears after being merged (only
// possible through a second merge route to an existing token) is merged again in training without a new rule.
//
// Serialization (to_text, one record per line, all '\n'-terminated):
//   jepa-bpe v1
//   vocab_size N          (total, specials included; checked on load)
//   specials K
//   special NAME          (K lines, in id order)
//   merges M
//   LEFT RIGHT            (M lines, in rank order: the two tokens' bytes)
//   end
// Bytes are written as themselves when printable ASCII other than '\' (0x21..0x7e), otherwise as \xHH (lowercase
// hex; space is \x20). from_text accepts exactly this and throws a one-line std::runtime_error otherwise.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace jepa::data {

class BpeTokenizer {
 public:
  // The byte-level tokenizer with no merges and no specials (256 ids).
  BpeTokenizer();

  // Throws std::runtime_error when vocab_size < 256 + specials.size(), or a special is empty or repeated.
  static BpeTokenizer train(const std::vector<std::string>& texts, int64_t vocab_size,
                            const std::vector<std::string>& specials);
  // Parses to_text()'s format; throws a one-line std::runtime_error ("bpe: line N: ...") on anything else.
  static BpeTokenizer from_text(const std::string& serialized);
  std::string to_text() const;

  // Never emits special ids: special-token strings in `text` are encoded as plain bytes. Thread-safe.
  std::vector<int32_t> encode(std::string_view text) const;
  // Specials decode to their names; an id outside [0, vocab_size()) throws std::runtime_error.
  std::string decode(const std::vector<int32_t>& ids) const;
  // decode() of the ids before the first `stop` (all of them when absent).
  std::string decode_until(const std::vector<int32_t>& ids, int32_t stop) const;

  // Throws std::runtime_error naming `name` when it is not a special token.
  int32_t special_id(const std::string& name) const;
  // Tokens + specials.
  int64_t vocab_size() const { return static_cast<int64_t>(tokens_.size() + specials_.size()); }
  // Hex SHA-256 of to_text().
  std::string sha256() const;

  // Introspection (tests, tools).
  int64_t num_tokens() const { return static_cast<int64_t>(tokens_.size()); }  // bytes + merged, no specials
  // Bytes of a token, or name of a special; throws std::runtime_error out of range.
  const std::string& token_bytes(int32_t id) const;
  const std::vector<std::pair<int32_t, int32_t>>& merges() const { return merges_; }  // in rank order
  const std::vector<std::string>& specials() const { return specials_; }

  // The chunks encode() and train() work on (views into `text`).
  static std::vector<std::string_view> chunks(std::string_view text);

 private:
  struct MergeRule {
    int32_t rank;
    int32_t id;
  };
  struct Cache;

  // Appends merge (left, right) as the next rank; returns the merged id (new or reused).
  int32_t add_merge(int32_t left, int32_t right);
  void add_special(const std::string& name);
  void encode_chunk(std::string_view chunk, std::vector<int32_t>& out) const;

  std::vector<std::string> tokens_;                        // id -> bytes, ids < num_tokens()
  std::unordered_map<std::string, int32_t> token_ids_;     // bytes -> id
  std::vector<std::pair<int32_t, int32_t>> merges_;        // rank -> (left, right)
  std::unordered_map<uint64_t, MergeRule> merge_rules_;    // (left << 32 | right) -> rule
  std::vector<std::string> specials_;
  std::unordered_map<std::string, int32_t> special_ids_;
  std::shared_ptr<Cache> cache_;  // chunk -> ids; shared by copies (same merges), internally locked
};

}  // namespace jepa::data
