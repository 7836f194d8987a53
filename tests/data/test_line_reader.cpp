// LineReader: the line contract of jepa_prep's input (data/line_reader.hpp) on real files -- stripping, blank
// lines, CRLF, a final line without newline, JSONL text fields, and one clear error per kind of bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "data/line_reader.hpp"

namespace fs = std::filesystem;
using jepa::data::LineFormat;
using jepa::data::LineReader;

namespace {

using Texts = std::vector<std::string>;

class LineReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(JEPA_BUILD_DIR) / "test_tmp" /
           ("line_reader_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Writes `bytes` verbatim (binary: no newline translation) and returns the path.
  std::string file(const std::string& name, const std::string& bytes) const {
    const auto p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }

  // Every text the reader yields, in order (empty ones included).
  static Texts read_all(LineReader& r) {
    Texts out;
    std::string_view text;
    while (r.next(text)) out.emplace_back(text);
    return out;
  }
  static Texts read_all(const std::string& path, LineFormat format = LineFormat::kText,
                        const std::string& field = "text") {
    LineReader r(path, format, field);
    return read_all(r);
  }

  // The message of the std::runtime_error that opening or reading all of `path` throws ("" when none is thrown).
  static std::string read_error(const std::string& path, LineFormat format = LineFormat::kJsonl,
                                const std::string& field = "text") {
    try {
      read_all(path, format, field);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

TEST_F(LineReaderTest, PlainTextLinesAreStripped) {
  const auto p = file("plain.txt", "first document\n  padded both sides \t\nlast one\n");
  LineReader r(p);
  std::string_view text;
  ASSERT_TRUE(r.next(text));
  EXPECT_EQ(text, "first document");
  EXPECT_EQ(r.line_no(), 1);
  ASSERT_TRUE(r.next(text));
  EXPECT_EQ(text, "padded both sides");
  EXPECT_EQ(r.line_no(), 2);
  ASSERT_TRUE(r.next(text));
  EXPECT_EQ(text, "last one");
  EXPECT_EQ(r.line_no(), 3);
  EXPECT_FALSE(r.next(text));
  EXPECT_FALSE(r.next(text));  // stays at the end
  EXPECT_EQ(r.line_no(), 3);
}

TEST_F(LineReaderTest, BlankAndWhitespaceLinesYieldEmptyTexts) {
  // ASCII whitespace, \x1c-\x1f, and Unicode whitespace (U+00A0, U+2003, U+3000, U+0085) all strip away.
  const auto p = file("blank.txt",
                      "a\n"
                      "\n"
                      "   \t \x0b\x0c\n"
                      "\x1c\x1d\x1e\x1f\n"
                      "\xc2\xa0\xe2\x80\x83\xe3\x80\x80\xc2\x85\n"
                      "b\n");
  LineReader r(p);
  EXPECT_EQ(read_all(r), (Texts{"a", "", "", "", "", "b"}));
  EXPECT_EQ(r.line_no(), 6);  // blank lines are counted as lines
}

TEST_F(LineReaderTest, StripsUnicodeWhitespaceButKeepsOtherCodePoints) {
  // U+200B (zero width space) is not whitespace for Python's str.isspace(): it stays.
  const auto p = file("unicode.txt", "\xe3\x80\x80 caf\xc3\xa9 \xc2\xa0\n\xe2\x80\x8bx\xe2\x80\x8b\n");
  EXPECT_EQ(read_all(p), (Texts{"caf\xc3\xa9", "\xe2\x80\x8bx\xe2\x80\x8b"}));
}

TEST_F(LineReaderTest, CrLfLineEndings) {
  const auto p = file("crlf.txt", "windows line\r\n\r\n  second  \r\n");
  EXPECT_EQ(read_all(p), (Texts{"windows line", "", "second"}));
}

TEST_F(LineReaderTest, LoneCarriageReturnStaysInTheLine) {
  // Only '\n' ends a line (unlike Python's universal newlines).
  const auto p = file("cr.txt", "one\rtwo\n");
  EXPECT_EQ(read_all(p), (Texts{"one\rtwo"}));
}

TEST_F(LineReaderTest, LastLineWithoutNewline) {
  const std::string bytes = "one\ntwo\n  last line without newline  ";
  const auto p = file("nonl.txt", bytes);
  LineReader r(p);
  EXPECT_EQ(r.size(), bytes.size());
  EXPECT_EQ(r.bytes(), 0u);
  EXPECT_EQ(read_all(r), (Texts{"one", "two", "last line without newline"}));
  EXPECT_EQ(r.line_no(), 3);
  EXPECT_EQ(r.bytes(), bytes.size());
}

TEST_F(LineReaderTest, BytesCountLineEndings) {
  LineReader r(file("bytes.txt", "ab\r\n\ncd\n"));
  std::vector<uint64_t> after;  // bytes() after each line
  std::string_view text;
  while (r.next(text)) after.push_back(r.bytes());
  EXPECT_EQ(after, (std::vector<uint64_t>{4, 5, 8}));
  EXPECT_EQ(r.size(), 8u);
}

TEST_F(LineReaderTest, EmptyFile) {
  LineReader r(file("empty.txt", ""));
  EXPECT_EQ(read_all(r), Texts{});
  EXPECT_EQ(r.line_no(), 0);
  EXPECT_EQ(r.size(), 0u);
}

TEST_F(LineReaderTest, InvalidUtf8IsPassedThrough) {
  // Stripping stops at an ill-formed byte; the tokenizer, not the reader, deals with it.
  const auto p = file("bad_utf8.txt", "  \xff bad \xfe  \n");
  EXPECT_EQ(read_all(p), (Texts{"\xff bad \xfe"}));
}

TEST_F(LineReaderTest, TextFormatDoesNotParseJson) {
  const auto p = file("looks_like.json", "{\"text\": \"hi\"}\n{broken\n");
  EXPECT_EQ(read_all(p, LineFormat::kText), (Texts{"{\"text\": \"hi\"}", "{broken"}));
}

TEST_F(LineReaderTest, JsonlTextField) {
  const auto p = file("docs.jsonl",
                      "{\"text\": \"First JSON document.\", \"id\": 1}\n"
                      "\n"
                      "   \n"
                      "{\"text\": \"  padded \\u00a0\", \"id\": 2}\r\n"
                      "{\"text\": \"\"}\n"
                      "{\"text\": \"   \"}\n"
                      "  {\"id\": 3, \"text\": \"caf\\u00e9 \\n second line\"}  \n"
                      "{\"text\": \"no final newline\"}");
  LineReader r(p, LineFormat::kJsonl);
  EXPECT_EQ(read_all(r), (Texts{"First JSON document.", "", "", "padded", "", "", "caf\xc3\xa9 \n second line",
                                "no final newline"}));
  EXPECT_EQ(r.line_no(), 8);
}

TEST_F(LineReaderTest, JsonlOtherTextField) {
  const auto p = file("body.jsonl", "{\"text\": \"ignored\", \"body\": \" used \"}\n");
  EXPECT_EQ(read_all(p, LineFormat::kJsonl, "body"), (Texts{"used"}));
  EXPECT_EQ(read_error(p, LineFormat::kJsonl, "content"), p + ":1: no field \"content\"");
}

TEST_F(LineReaderTest, JsonlTextStaysValidUntilNextCall) {
  const auto p = file("two.jsonl", "{\"text\": \"alpha\"}\n{\"text\": \"beta\"}\n");
  LineReader r(p, LineFormat::kJsonl);
  std::string_view a;
  ASSERT_TRUE(r.next(a));
  EXPECT_EQ(a, "alpha");
  std::string_view b;
  ASSERT_TRUE(r.next(b));
  EXPECT_EQ(b, "beta");
}

TEST_F(LineReaderTest, JsonlInvalidJsonNamesFileAndLine) {
  const auto p = file("bad.jsonl", "{\"text\": \"fine\"}\n{\"text\": \"also fine\"}\n"
                                   "{\"text\": broken\n{\"text\": \"x\"}\n");
  const std::string msg = read_error(p);
  const std::string prefix = p + ":3: invalid JSON: [json.exception.parse_error.101] parse error";
  EXPECT_EQ(msg.rfind(prefix, 0), 0u) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;

  // Lines before the bad one are read fine.
  LineReader r(p, LineFormat::kJsonl);
  std::string_view text;
  ASSERT_TRUE(r.next(text));
  ASSERT_TRUE(r.next(text));
  EXPECT_EQ(text, "also fine");
  EXPECT_THROW(r.next(text), std::runtime_error);
  EXPECT_EQ(r.line_no(), 3);
}

TEST_F(LineReaderTest, JsonlControlCharactersInErrorStayOnOneLine) {
  const auto p = file("ctrl.jsonl", "{\"text\": \"a\rb\"}\n");
  const std::string msg = read_error(p);
  EXPECT_EQ(msg.rfind(p + ":1: invalid JSON: ", 0), 0u) << msg;
  EXPECT_EQ(msg.find('\r'), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST_F(LineReaderTest, JsonlMissingField) {
  const auto p = file("nofield.jsonl", "{\"text\": \"ok\"}\n{\"txt\": \"typo\"}\n");
  EXPECT_EQ(read_error(p), p + ":2: no field \"text\"");
}

TEST_F(LineReaderTest, JsonlFieldNotAString) {
  const auto p = file("notstring.jsonl", "\n{\"text\": 42}\n");
  EXPECT_EQ(read_error(p), p + ":2: field \"text\" is not a string");
  const auto n = file("null.jsonl", "{\"text\": null}\n");
  EXPECT_EQ(read_error(n), n + ":1: field \"text\" is not a string");
}

TEST_F(LineReaderTest, JsonlNotAnObject) {
  const auto p = file("notobj.jsonl", "[\"a list\"]\n");
  EXPECT_EQ(read_error(p), p + ":1: not a JSON object");
  const auto s = file("string.jsonl", "{\"text\": \"ok\"}\n\"just a string\"\n");
  EXPECT_EQ(read_error(s), s + ":2: not a JSON object");
}

TEST_F(LineReaderTest, MissingInput) {
  const auto p = (dir_ / "nope.txt").string();
  EXPECT_EQ(read_error(p, LineFormat::kText), "input '" + p + "' not found");
}

TEST_F(LineReaderTest, DirectoryInput) {
  const auto p = dir_.string();
  EXPECT_EQ(read_error(p), "input '" + p + "' is a directory");
}

TEST_F(LineReaderTest, SizeUnknownForNonRegularFile) {
  LineReader r("/dev/null");
  EXPECT_EQ(r.size(), 0u);
  std::string_view text;
  EXPECT_FALSE(r.next(text));
}

}  // namespace
