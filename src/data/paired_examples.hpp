#pragma once
// Paired-view examples for LLM-JEPA (design.md §9), from JSONL to token ids, without LibTorch.
//
// Input: one JSON object per line, either {"text": ..., "code": ...} (optionally "system") or the chat form of the
// LLM-JEPA paper's files, {"messages": [{"role": "system"|"user"|"assistant", "content": ...}, ...]} with one user
// and one assistant message (a system message is optional). The text is the user turn, the code the assistant turn.
//
// Chat template (byte-level BPE, bpe.hpp; the specials below are the last ids, in this order):
//   <|bos|> [<|system|> SYSTEM <|end|>] <|user|> TEXT <|end|> <|assistant|> CODE <|end|>
// The views are <|bos|> + the user turn and <|bos|> + the assistant turn (spans into the example, corpus.hpp).
// A generation prompt is the example up to and including <|assistant|>.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/bpe.hpp"
#include "data/corpus.hpp"

namespace jepa::data {

struct ChatExample {
  std::string system, text, code;
};

struct PairedExample {
  std::vector<int32_t> doc;  // the full example
  ViewSpans views;
};

// The template's special tokens, in id order (a BPE for paired corpora is trained with these).
const std::vector<std::string>& chat_specials();

// Ids of the specials in `tok` (throws naming a missing one).
struct ChatIds {
  int32_t pad, bos, end, pred, system, user, assistant;
  static ChatIds of(const BpeTokenizer& tok);
};

// One JSONL line (either form); `where` ("file:line") prefixes errors.
ChatExample parse_paired_json(std::string_view line, const std::string& where);
// Every non-blank line of a JSONL file.
std::vector<ChatExample> read_paired_jsonl(const std::string& path);

// The full example and its view spans.
PairedExample encode_example(const BpeTokenizer& tok, const ChatExample& ex);
// <|bos|> [system turn] <|user|> TEXT <|end|> <|assistant|>: what greedy generation continues.
std::vector<int32_t> encode_prompt(const BpeTokenizer& tok, const ChatExample& ex);
// The text view alone (<|bos|> <|user|> TEXT <|end|>) and the code view (<|bos|> <|assistant|> CODE <|end|>),
// without [PRED] tokens.
std::vector<int32_t> encode_text_view(const BpeTokenizer& tok, const std::string& text);
std::vector<int32_t> encode_code_view(const BpeTokenizer& tok, const std::string& code);

}  // namespace jepa::data
