// BERT-uncased WordPiece, the same mapping as HF `tokenizers` BertWordPieceTokenizer(vocab, lowercase=True):
//   special tokens matched on the raw text -> BertNormalizer -> BertPreTokenizer -> WordPiece.
// Character classes follow the Rust implementation (see the notes at each helper); ICU supplies the Unicode data.
#include "data/tokenizer.hpp"

#include <openssl/evp.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>

namespace jepa::data {
namespace {

constexpr size_t kMaxInputCharsPerWord = 100;
constexpr char32_t kReplacement = 0xFFFD;

// ---- UTF-8 ------------------------------------------------------------------------------------------------
// Decodes UTF-8; every byte of an ill-formed sequence becomes U+FFFD (which BertNormalizer then drops).
void decode_utf8(std::string_view s, std::u32string& out) {
  out.clear();
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char b = p[i];
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    }
    size_t len = 0;
    char32_t cp = 0, min = 0;
    if ((b & 0xE0) == 0xC0) {
      len = 2, cp = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3, cp = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4, cp = b & 0x07, min = 0x10000;
    }
    bool ok = len != 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) ok = false;
      else cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (!ok) {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
}

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// ---- character classes ----------------------------------------------------------------------------------
// tokenizers' BertNormalizer / BertPreTokenizer take their Unicode data from three places, of three versions:
//   * the `unicode_categories` crate (Unicode 8.0): is_other (clean_text), is_punctuation, is_mark_nonspacing;
//   * the `unicode-normalization-alignments` crate (Unicode 9.0): NFD (decompositions, canonical classes);
//   * Rust std (Unicode 17 in tokenizers 0.23): char::is_whitespace, char::to_lowercase.
// ICU (72 here, Unicode 15.0) supplies the data; characters newer than a table's version are treated as that
// table would see them (unassigned), and the few characters whose category changed since Unicode 8.0 are
// listed explicitly. Checked against tokenizers 0.23.3 for every code point (alone, between letters, doubled) and
// on random mark-heavy strings; tests/golden/test_tokenizer_hf.py keeps checking a varied corpus through jepa_prep.

// True when `c` is assigned and was introduced before Unicode `major`.0.
bool assigned_before(char32_t c, uint8_t major) {
  UVersionInfo age;
  u_charAge(static_cast<UChar32>(c), age);
  return age[0] != 0 && age[0] < major;
}

// General category as the `unicode_categories` crate (Unicode 8.0) has it.
int8_t category_u8(char32_t c) {
  switch (c) {
    case 0x166D:   // CANADIAN SYLLABICS CHI SIGN: Po until Unicode 12, So since
    case 0x111C9:  // SHARADA SANDHI MARK: Po until Unicode 11, Mn since
      return U_OTHER_PUNCTUATION;
    case 0x1734:  // HANUNOO SIGN PAMUDPOD: Mn until Unicode 14, Mc since
      return U_NON_SPACING_MARK;
    case 0x1885:  // MONGOLIAN LETTER ALI GALI BALUDA / THREE BALUDA: Lo until Unicode 9, Mn since
    case 0x1886:
      return U_OTHER_LETTER;
    case 0xA9BD:  // JAVANESE CONSONANT SIGN KERET: Mc until Unicode 12, Mn since
      return U_COMBINING_SPACING_MARK;
    default:
      break;
  }
  if (!assigned_before(c, 9)) return U_UNASSIGNED;
  return u_charType(static_cast<UChar32>(c));
}

// is_control: `unicode_categories::is_other` minus \t \n \r, i.e. Cc, Cf, Co (Cs cannot occur). Unassigned (Cn)
// code points are NOT controls: they survive clean_text.
bool is_control(char32_t c) {
  if (c < 0x80) return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
  switch (category_u8(c)) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_PRIVATE_USE_CHAR:
    case U_SURROGATE:
      return true;
    default:
      return false;
  }
}

// Rust `char::is_whitespace` (the White_Space property) plus \t \n \r.
bool is_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= '\t' && c <= '\r');
  return u_isUWhiteSpace(static_cast<UChar32>(c));
}

// The ranges tokenizers uses (note 0x2B920, not BERT's 0x2B820: that is what the library does).
bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// ASCII punctuation (includes $ + < = > ^ ` | ~, which are symbols in Unicode) or general category P*.
bool is_punctuation(char32_t c) {
  if (c < 0x80) return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
                       (c >= 0x7B && c <= 0x7E);
  switch (category_u8(c)) {
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
      return true;
    default:
      return false;
  }
}

bool is_nonspacing_mark(char32_t c) { return c >= 0x300 && category_u8(c) == U_NON_SPACING_MARK; }

// Lowercase mappings Rust std has (Unicode 16/17) that ICU 72 lacks: {first, last, delta}.
struct LowerRange {
  char32_t first, last;
  int32_t delta;
};
constexpr LowerRange kNewLower[] = {
    {0x1C89, 0x1C89, 1},        {0xA7CB, 0xA7CB, 0x264 - 0xA7CB}, {0xA7CC, 0xA7CC, 1},  {0xA7CE, 0xA7CE, 1},
    {0xA7D2, 0xA7D2, 1},        {0xA7D4, 0xA7D4, 1},              {0xA7DA, 0xA7DA, 1},  {0xA7DC, 0xA7DC, 0x19B - 0xA7DC},
    {0x10D50, 0x10D65, 0x20},   {0x16EA0, 0x16EB8, 0x1B},
};

// Rust `char::to_lowercase`: the full, context-free lowercase mapping. The only unconditional multi-char
// mapping in SpecialCasing.txt is U+0130 -> "i\u0307"; everything else is the simple mapping.
void append_lower(char32_t c, std::u32string& out) {
  if (c < 0x80) {
    out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return;
  }
  if (c == 0x130) {
    out.push_back('i');
    out.push_back(0x307);
    return;
  }
  for (const auto& r : kNewLower)
    if (c >= r.first && c <= r.last) {
      out.push_back(static_cast<char32_t>(static_cast<int32_t>(c) + r.delta));
      return;
    }
  out.push_back(static_cast<char32_t>(u_tolower(static_cast<UChar32>(c))));
}

const icu::Normalizer2& nfd() {
  static const icu::Normalizer2* inst = [] {
    UErrorCode err = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFDInstance(err);
    if (U_FAILURE(err) || n == nullptr)
      throw std::runtime_error(std::string("ICU NFD normalizer unavailable: ") + u_errorName(err));
    return n;
  }();
  return *inst;
}

// NFD as `unicode-normalization-alignments` (Unicode 9.0) computes it: characters introduced after 9.0 have no
// decomposition and canonical class 0. Decompositions and classes of older characters are stable.
void nfd_u9(const std::u32string& in, std::u32string& out, std::vector<uint8_t>& ccc) {
  out.clear();
  ccc.clear();
  const icu::Normalizer2& n = nfd();
  icu::UnicodeString d;
  for (char32_t c : in) {
    if (c < 0xC0 || !assigned_before(c, 10)) {  // nothing below U+00C0 decomposes or combines
      out.push_back(c);
      ccc.push_back(0);
      continue;
    }
    if (n.getDecomposition(static_cast<UChar32>(c), d)) {
      for (int32_t i = 0; i < d.length();) {
        const UChar32 x = d.char32At(i);
        i += U16_LENGTH(x);
        out.push_back(static_cast<char32_t>(x));
        ccc.push_back(u_getCombiningClass(x));
      }
    } else {
      out.push_back(c);
      ccc.push_back(u_getCombiningClass(static_cast<UChar32>(c)));
    }
  }
  // Canonical ordering: stable sort of every run of non-starters by canonical class.
  for (size_t i = 1; i < out.size(); ++i) {
    if (ccc[i] == 0) continue;
    size_t j = i;
    while (j > 0 && ccc[j - 1] > ccc[j]) {
      std::swap(ccc[j - 1], ccc[j]);
      std::swap(out[j - 1], out[j]);
      --j;
    }
  }
}

// BertNormalizer(clean_text, handle_chinese_chars, strip_accents = lowercase, lowercase) on one segment.
void normalize(const char32_t* begin, const char32_t* end, bool lowercase, std::u32string& tmp,
               std::u32string& decomposed, std::vector<uint8_t>& ccc, std::u32string& out) {
  tmp.clear();
  bool ascii = true;
  for (const char32_t* it = begin; it != end; ++it) {
    const char32_t c = *it;
    if (c == 0 || c == kReplacement || is_control(c)) continue;
    if (is_whitespace(c)) {
      tmp.push_back(' ');
    } else if (is_chinese_char(c)) {
      tmp.push_back(' ');
      tmp.push_back(c);
      tmp.push_back(' ');
    } else {
      tmp.push_back(c);
    }
    ascii = ascii && c < 0x80;
  }
  out.clear();
  if (!lowercase) {  // strip_accents follows lowercase; neither applies
    out = tmp;
    return;
  }
  if (ascii) {
    for (char32_t c : tmp) out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return;
  }
  // NFD over the whole segment (canonical reordering spans characters), then drop Mn, then lowercase.
  nfd_u9(tmp, decomposed, ccc);
  for (char32_t c : decomposed) {
    if (is_nonspacing_mark(c)) continue;
    append_lower(c, out);
  }
}

// Rust `str::trim_end`: drops trailing White_Space code points.
void trim_end(std::string& line) {
  while (!line.empty()) {
    size_t start = line.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(line[start]) & 0xC0) == 0x80) --start;
    std::u32string last;
    decode_utf8(std::string_view(line).substr(start), last);
    if (last.size() != 1 || !is_whitespace(last[0])) return;
    line.resize(start);
  }
}

std::string file_error(const std::string& path, const std::string& what) {
  return "tokenizer vocab file '" + path + "': " + what;
}

}  // namespace

// ---- vocabulary ---------------------------------------------------------------------------------------------
WordPieceTokenizer WordPieceTokenizer::from_vocab_file(const std::string& path, bool lowercase) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw std::runtime_error(file_error(path, "is a directory, not a file"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(file_error(path, "cannot open (missing or unreadable)"));
  std::string bytes;
  try {  // libstdc++'s filebuf throws on a failing read(2) ("basic_filebuf::underflow ..."), naming no file
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception& e) {
    throw std::runtime_error(file_error(path, std::string("read error (") + e.what() + ")"));
  }
  if (in.bad()) throw std::runtime_error(file_error(path, "read error"));
  if (bytes.empty()) throw std::runtime_error(file_error(path, "file is empty"));

  WordPieceTokenizer t;
  t.lowercase_ = lowercase;
  // As tokenizers' WordPiece::read_file: one token per line, index = line number, trailing whitespace trimmed;
  // a repeated token keeps its last line number.
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    if (nl == std::string::npos) nl = bytes.size();
    std::string line = bytes.substr(pos, nl - pos);
    trim_end(line);
    const auto id = static_cast<int32_t>(t.id_to_token_.size());
    t.vocab_[line] = id;
    t.max_token_bytes_ = std::max(t.max_token_bytes_, line.size());
    t.id_to_token_.push_back(std::move(line));
    pos = nl + 1;
  }
  auto need = [&](const char* tok) {
    const int32_t id = t.token_to_id(tok);
    if (id < 0) throw std::runtime_error(file_error(path, std::string("lacks the special token ") + tok));
    return id;
  };
  t.special_.pad = need("[PAD]");
  t.special_.unk = need("[UNK]");
  t.special_.cls = need("[CLS]");
  t.special_.sep = need("[SEP]");
  t.special_.mask = need("[MASK]");
  t.specials_ = {{{"[PAD]", t.special_.pad},
                  {"[UNK]", t.special_.unk},
                  {"[CLS]", t.special_.cls},
                  {"[SEP]", t.special_.sep},
                  {"[MASK]", t.special_.mask}}};
  t.vocab_sha256_ = sha256_file(path);
  return t;
}

int32_t WordPieceTokenizer::token_to_id(const std::string& token) const {
  const auto it = vocab_.find(token);
  return it == vocab_.end() ? -1 : it->second;
}

// ---- tokenization -------------------------------------------------------------------------------------------
void WordPieceTokenizer::wordpiece(const std::u32string& word, std::vector<int32_t>* ids,
                                   std::vector<std::string>* pieces) const {
  auto emit = [&](int32_t id, const std::string& s) {
    if (ids) ids->push_back(id);
    if (pieces) pieces->push_back(s);
  };
  if (word.size() > kMaxInputCharsPerWord) {
    emit(special_.unk, id_to_token(special_.unk));
    return;
  }
  // Byte offset of each code point boundary in the UTF-8 form.
  std::string utf8;
  std::vector<size_t> bounds;
  bounds.reserve(word.size() + 1);
  for (char32_t c : word) {
    bounds.push_back(utf8.size());
    append_utf8(c, utf8);
  }
  bounds.push_back(utf8.size());

  const size_t n = word.size();
  const size_t first = ids ? ids->size() : 0, first_piece = pieces ? pieces->size() : 0;
  std::string key;
  size_t start = 0;
  while (start < n) {
    size_t end = n;
    int32_t found = -1;
    while (end > start) {
      const size_t len = bounds[end] - bounds[start];
      if (len + (start > 0 ? 2 : 0) <= max_token_bytes_) {
        key.assign(start > 0 ? "##" : "");
        key.append(utf8, bounds[start], len);
        const auto it = vocab_.find(key);
        if (it != vocab_.end()) {
          found = it->second;
          break;
        }
      }
      --end;
    }
    if (found < 0) {  // the whole word becomes [UNK]
      if (ids) ids->resize(first);
      if (pieces) pieces->resize(first_piece);
      emit(special_.unk, id_to_token(special_.unk));
      return;
    }
    emit(found, key);
    start = end;
  }
}

void WordPieceTokenizer::run(std::string_view text, std::vector<int32_t>* ids,
                             std::vector<std::string>* pieces) const {
  std::u32string cps, tmp, decomposed, norm, word;
  std::vector<uint8_t> ccc;
  decode_utf8(text, cps);

  // BertPreTokenizer + WordPiece over a normalized segment.
  auto segment = [&](const char32_t* b, const char32_t* e) {
    if (b == e) return;
    normalize(b, e, lowercase_, tmp, decomposed, ccc, norm);
    word.clear();
    auto flush = [&] {
      if (!word.empty()) wordpiece(word, ids, pieces);
      word.clear();
    };
    for (char32_t c : norm) {
      if (is_whitespace(c)) {
        flush();
      } else if (is_punctuation(c)) {
        flush();
        word.push_back(c);
        flush();
      } else {
        word.push_back(c);
      }
    }
    flush();
  };

  // Special tokens are matched on the raw text first (leftmost match; none is a prefix of another), exactly as
  // written (case-sensitive), with no stripping of the text around them.
  const char32_t* const data = cps.data();
  const size_t n = cps.size();
  size_t seg_start = 0;
  for (size_t i = 0; i < n; ++i) {
    if (data[i] != '[') continue;
    for (const auto& [tok, id] : specials_) {
      const size_t len = tok.size();
      if (i + len > n) continue;
      bool match = true;
      for (size_t k = 0; k < len && match; ++k) match = data[i + k] == static_cast<unsigned char>(tok[k]);
      if (!match) continue;
      segment(data + seg_start, data + i);
      if (ids) ids->push_back(id);
      if (pieces) pieces->push_back(tok);
      i += len - 1;
      seg_start = i + 1;
      break;
    }
  }
  segment(data + seg_start, data + n);
}

std::vector<int32_t> WordPieceTokenizer::tokenize_body(std::string_view text) const {
  std::vector<int32_t> ids;
  run(text, &ids, nullptr);
  return ids;
}

std::vector<std::string> WordPieceTokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> pieces;
  run(text, nullptr, &pieces);
  return pieces;
}

std::vector<int32_t> WordPieceTokenizer::encode(std::string_view text, size_t max_length) const {
  // Clamped, not wrapped: a max_length beyond int64 keeps the whole body, as before.
  const auto limit = static_cast<int64_t>(std::min<size_t>(max_length, std::numeric_limits<int64_t>::max()));
  return with_specials(tokenize_body(text), limit, special_);
}

std::vector<int32_t> with_specials(const std::vector<int32_t>& body, int64_t max_length, const SpecialIds& special) {
  const auto keep = static_cast<size_t>(
      std::max<int64_t>(0, std::min<int64_t>(static_cast<int64_t>(body.size()), max_length - 2)));
  std::vector<int32_t> ids;
  ids.reserve(keep + 2);
  ids.push_back(special.cls);
  ids.insert(ids.end(), body.begin(), body.begin() + static_cast<std::ptrdiff_t>(keep));
  ids.push_back(special.sep);
  return ids;
}

// ---- SHA-256 ------------------------------------------------------------------------------------------------
namespace {
std::string hex_digest(const unsigned char* md, unsigned int len) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 0xF]);
  }
  return out;
}
}  // namespace

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("sha256: cannot open '" + path + "'");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("sha256: OpenSSL digest init failed");
  std::array<char, 1 << 16> buf;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const std::streamsize got = in.gcount();
    if (got > 0 && EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(got)) != 1)
      throw std::runtime_error("sha256: OpenSSL digest update failed");
  }
  if (in.bad()) throw std::runtime_error("sha256: read error on '" + path + "'");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) throw std::runtime_error("sha256: OpenSSL digest final failed");
  return hex_digest(md, len);
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("sha256: OpenSSL digest failed");
  return hex_digest(md, len);
}

}  // namespace jepa::data
