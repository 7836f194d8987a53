// Test-only driver for tests/golden/test_bpe_hf.py: trains (or loads) a BpeTokenizer and encodes texts.
//   jepa_golden_bpe_dump IN.json OUT.json
// IN:  {"train": [text...], "vocab_size": N, "specials": [name...]}  or  {"tokenizer": "<to_text() output>"},
//      plus "encode": [text...]. Texts are JSON (UTF-8) strings.
// OUT: {"tokenizer": to_text(), "sha256", "vocab_size", "num_tokens",
//       "tokens": [hex bytes of ids 0..num_tokens-1], "merges": [[left, right]...], "specials": [...],
//       "ids": [[id...] per encoded text], "decoded_hex": [hex of decode(ids)], "train_s", "encode_s"}.
// Needs only jepa_data (no LibTorch).
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/bpe.hpp"

namespace {

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xF]);
  }
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: bpe_dump IN.json OUT.json\n";
    return 2;
  }
  try {
    using nlohmann::json;
    std::ifstream in(argv[1]);
    if (!in) throw std::runtime_error(std::string("cannot open ") + argv[1]);
    const json req = json::parse(in);

    auto t0 = std::chrono::steady_clock::now();
    jepa::data::BpeTokenizer tok;
    if (req.contains("tokenizer")) {
      tok = jepa::data::BpeTokenizer::from_text(req.at("tokenizer").get<std::string>());
    } else {
      tok = jepa::data::BpeTokenizer::train(req.at("train").get<std::vector<std::string>>(),
                                            req.at("vocab_size").get<int64_t>(),
                                            req.value("specials", std::vector<std::string>{}));
    }
    const double train_s = seconds_since(t0);

    const auto texts = req.value("encode", std::vector<std::string>{});
    std::vector<std::vector<int32_t>> ids;
    ids.reserve(texts.size());
    t0 = std::chrono::steady_clock::now();
    for (const auto& t : texts) ids.push_back(tok.encode(t));
    const double encode_s = seconds_since(t0);

    json out;
    out["tokenizer"] = tok.to_text();
    out["sha256"] = tok.sha256();
    out["vocab_size"] = tok.vocab_size();
    out["num_tokens"] = tok.num_tokens();
    json tokens = json::array();
    for (int32_t i = 0; i < tok.num_tokens(); ++i) tokens.push_back(hex(tok.token_bytes(i)));
    out["tokens"] = std::move(tokens);
    json merges = json::array();
    for (const auto& [l, r] : tok.merges()) merges.push_back({l, r});
    out["merges"] = std::move(merges);
    out["specials"] = tok.specials();
    json special_ids = json::array();
    for (const auto& s : tok.specials()) special_ids.push_back(tok.special_id(s));
    out["special_ids"] = std::move(special_ids);
    out["ids"] = ids;
    json decoded = json::array();
    for (const auto& v : ids) decoded.push_back(hex(tok.decode(v)));
    out["decoded_hex"] = std::move(decoded);
    out["train_s"] = train_s;
    out["encode_s"] = encode_s;

    std::ofstream os(argv[2]);
    os << out.dump() << "\n";
    if (!os) throw std::runtime_error(std::string("cannot write ") + argv[2]);
  } catch (const std::exception& e) {
    std::cerr << "bpe_dump: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
