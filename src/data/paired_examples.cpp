#include "data/paired_examples.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace jepa::data {
namespace {

std::string string_field(const nlohmann::json& j, const char* key, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) throw std::runtime_error(where + ": missing string field '" + key + "'");
  return it->get<std::string>();
}

void append(std::vector<int32_t>& out, const std::vector<int32_t>& ids) { out.insert(out.end(), ids.begin(), ids.end()); }

// A view on its own: <|bos|> TAG CONTENT <|end|>.
std::vector<int32_t> view(const BpeTokenizer& tok, int32_t tag, const std::string& content) {
  const auto id = ChatIds::of(tok);
  std::vector<int32_t> out{id.bos, tag};
  append(out, tok.encode(content));
  out.push_back(id.end);
  return out;
}

}  // namespace

const std::vector<std::string>& chat_specials() {
  static const std::vector<std::string> s = {"<|pad|>", "<|bos|>", "<|end|>", "<|pred|>",
                                             "<|system|>", "<|user|>", "<|assistant|>"};
  return s;
}

ChatIds ChatIds::of(const BpeTokenizer& tok) {
  return {tok.special_id("<|pad|>"), tok.special_id("<|bos|>"), tok.special_id("<|end|>"),
          tok.special_id("<|pred|>"), tok.special_id("<|system|>"), tok.special_id("<|user|>"),
          tok.special_id("<|assistant|>")};
}

ChatExample parse_paired_json(std::string_view line, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const std::exception&) {
    throw std::runtime_error(where + ": not a JSON object");
  }
  if (!j.is_object()) throw std::runtime_error(where + ": not a JSON object");
  ChatExample ex;
  if (j.contains("messages")) {
    const auto& m = j["messages"];
    if (!m.is_array()) throw std::runtime_error(where + ": 'messages' is not an array");
    int users = 0, assistants = 0;
    for (const auto& msg : m) {
      if (!msg.is_object()) throw std::runtime_error(where + ": a message is not an object");
      const auto role = string_field(msg, "role", where), content = string_field(msg, "content", where);
      if (role == "system") ex.system = content;
      else if (role == "user") ex.text = content, ++users;
      else if (role == "assistant") ex.code = content, ++assistants;
      else throw std::runtime_error(where + ": message role '" + role + "' is not system, user or assistant");
    }
    if (users != 1 || assistants != 1)
      throw std::runtime_error(where + ": expected one user and one assistant message, got " + std::to_string(users) +
                               " and " + std::to_string(assistants));
  } else {
    ex.text = string_field(j, "text", where);
    ex.code = string_field(j, "code", where);
    if (j.contains("system")) ex.system = string_field(j, "system", where);
  }
  if (ex.text.empty() || ex.code.empty()) throw std::runtime_error(where + ": empty text or code");
  return ex;
}

std::vector<ChatExample> read_paired_jsonl(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open '" + path + "'");
  std::vector<ChatExample> out;
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out.push_back(parse_paired_json(line, path + ":" + std::to_string(n)));
  }
  if (in.bad()) throw std::runtime_error("cannot read '" + path + "'");
  return out;
}

std::vector<int32_t> encode_prompt(const BpeTokenizer& tok, const ChatExample& ex) {
  const auto id = ChatIds::of(tok);
  std::vector<int32_t> out{id.bos};
  if (!ex.system.empty()) {
    out.push_back(id.system);
    append(out, tok.encode(ex.system));
    out.push_back(id.end);
  }
  out.push_back(id.user);
  append(out, tok.encode(ex.text));
  out.push_back(id.end);
  out.push_back(id.assistant);
  return out;
}

PairedExample encode_example(const BpeTokenizer& tok, const ChatExample& ex) {
  const auto id = ChatIds::of(tok);
  PairedExample p;
  p.doc = encode_prompt(tok, ex);
  const auto code_begin = static_cast<int64_t>(p.doc.size()) - 1;  // the <|assistant|> tag
  // The user turn runs from its <|user|> tag (encode() never emits specials, so the tag occurs once) to its <|end|>,
  // which precedes the <|assistant|> tag.
  const auto text_begin = static_cast<int64_t>(std::find(p.doc.begin(), p.doc.end(), id.user) - p.doc.begin());
  append(p.doc, tok.encode(ex.code));
  p.doc.push_back(id.end);
  p.views = {text_begin, code_begin, code_begin, static_cast<int64_t>(p.doc.size())};
  return p;
}

std::vector<int32_t> encode_text_view(const BpeTokenizer& tok, const std::string& text) {
  return view(tok, ChatIds::of(tok).user, text);
}

std::vector<int32_t> encode_code_view(const BpeTokenizer& tok, const std::string& code) {
  return view(tok, ChatIds::of(tok).assistant, code);
}

}  // namespace jepa::data
