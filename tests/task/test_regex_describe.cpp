// English descriptions (src/task/regex_describe.*): the acceptance test of the task -- every generated
// description parses back to a regex equivalent (by the derivative check) to the one generated, on 10^4 samples,
// and no description has two non-equivalent readings -- plus hand-written NL-RX-style sentences and rejections.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "task/regex_ast.hpp"
#include "task/regex_describe.hpp"
#include "task/regex_equiv.hpp"
#include "task/regex_generate.hpp"

using namespace jepa::task;

namespace {

void expect_reads_as(const std::string& text, const std::string& regex) {
  RegexPtr r;
  try {
    r = parse_description(text);
  } catch (const DescriptionParseError& e) {
    ADD_FAILURE() << "'" << text << "': " << e.what();
    return;
  }
  EXPECT_TRUE(equivalent(*r, *parse_regex(regex))) << "'" << text << "' read as " << to_string(*r) << ", expected " << regex;
}

}  // namespace

TEST(RegexDescribe, GeneratedDescriptionsParseBackToEquivalentRegexes) {
  const auto start = std::chrono::steady_clock::now();
  const auto pairs = generate_pairs(31, 10000);
  ASSERT_EQ(pairs.size(), 10000u);
  int several_spellings = 0;
  for (const auto& p : pairs) {
    const auto readings = parse_description_all(p.text);
    ASSERT_FALSE(readings.empty()) << "no reading of '" << p.text << "'";
    const RegexPtr code = parse_regex(p.code);
    for (const auto& r : readings)
      ASSERT_TRUE(equivalent(*r, *code)) << "'" << p.text << "' reads as " << to_string(*r) << ", generated as " << p.code;
    several_spellings += readings.size() > 1;
    ASSERT_TRUE(equivalent(*parse_description(p.text), *code));
  }
  // The grammar is meant to be unambiguous outright, not merely up to equivalence.
  EXPECT_EQ(several_spellings, 0);
  std::cout << "[ timing   ] 10^4 generated + parsed back: "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s\n";
}

TEST(RegexDescribe, UnfilteredSamplesParseBackToo) {
  // generate_pairs drops long and degenerate samples; the grammar must hold for all of them.
  TaskRng rng(32);
  for (int i = 0; i < 10000; ++i) {
    const Described d = sample_description(rng);
    RegexPtr r;
    ASSERT_NO_THROW(r = parse_description(d.text)) << d.text;
    ASSERT_EQ(to_string(*r), to_string(*d.regex)) << d.text;  // the very same regex, not only an equivalent one
  }
}

TEST(RegexDescribe, NlRxStyleSentences) {
  expect_reads_as("lines containing the string 'dog'", ".*(dog).*");
  expect_reads_as("Lines containing the string 'dog'.", ".*(dog).*");
  expect_reads_as("lines starting with a capital letter", "[A-Z].*");
  expect_reads_as("lines ending with a number", ".*[0-9]");
  expect_reads_as("lines with a vowel followed by the string 'truck'", ".*[AEIOUaeiou](truck).*");
  expect_reads_as("lines containing a letter, at least 3 times", ".*[A-Za-z]{3,}.*");
  expect_reads_as("lines with 2 or more digits", ".*[0-9]{2,}.*");
  expect_reads_as("lines with two or more digits", ".*[0-9]{2,}.*");
  expect_reads_as("lines not containing the string 'sky'", "~(.*(sky).*)");
  expect_reads_as("lines containing a number and containing the string 'cat'", "(.*[0-9].*)&(.*(cat).*)");
  expect_reads_as("lines with a lower-case letter or a digit before the string 'ring'", ".*(([a-z])|([0-9])).*(ring).*");
  expect_reads_as("lines that contain a character, zero or more times", ".*");
  expect_reads_as("lines with the string 'ring' after a digit", ".*[0-9].*(ring).*");
  expect_reads_as("lines consisting of 3 digits", "[0-9]{3}");
  expect_reads_as("lines that begin with 'lake' or that end with 'sun'", "((lake).*)|(.*(sun))");
  expect_reads_as("lines containing 'cat', containing 'dog' and not ending with a vowel",
                  "(.*(cat).*)&(.*(dog).*)&(~(.*[AEIOUaeiou]))");
  expect_reads_as("lines with a vowel or 'tree', exactly 2 times", ".*(([AEIOUaeiou])|(tree)){2}.*");
  expect_reads_as("lines made up of one or more small letters followed later by a digit", "[a-z]+.*[0-9]");
  expect_reads_as("lines with the string 'Dog'", ".*(Dog).*");  // quoted text keeps its case
}

TEST(RegexDescribe, RejectsWhatTheGrammarDoesNotSay) {
  const std::vector<std::string> bad = {
      "", "lines", "lines containing", "containing 'dog'", "lines containing a dog", "lines containing 'dog' and",
      "lines containing 'dog' and or 'cat'", "lines containing 'dog' and containing 'cat' or containing 'sun'",
      "lines containing 'dog', containing 'cat'", "lines containing 'dog' 'cat'", "lines containing a digit, 99 times",
      "lines containing zero digits", "lines containing 'dog'. and more", "lines with a letter followed by",
      "lines containing 'dog' after 'cat' after 'sun'",
  };
  for (const auto& text : bad) {
    EXPECT_TRUE(parse_description_all(text).empty()) << text;
    EXPECT_THROW(parse_description(text), DescriptionParseError) << text;
  }
  for (const std::string text : {"lines containing 'dog", "lines containing 'do g'", "lines containing ''"})
    EXPECT_THROW(parse_description(text), DescriptionParseError) << text;
  std::string long_text = "lines containing 'dog'";
  for (int i = 0; i < 300; ++i) long_text += " and containing 'dog'";
  EXPECT_THROW(parse_description(long_text), DescriptionParseError);
}

TEST(RegexDescribe, EditedDescriptionsNeverCrash) {
  // Real descriptions with words deleted, swapped or inserted: mostly no reading, sometimes one; never a crash
  // or a blow-up.
  const std::vector<std::string> vocab = {"lines", "containing", "with", "not", "or", "and", "followed", "by",
                                          "before", "after", "at", "least", "3", "times", ",", "'dog'", "a",
                                          "letter", "digits", "zero", "more", "exactly", "."};
  TaskRng rng(33);
  int readings = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::string> words;
    std::istringstream in(sample_description(rng).text);
    for (std::string w; in >> w;) words.push_back(w);
    for (int edits = 1 + static_cast<int>(rng.below(3)); edits > 0; --edits) {
      const size_t at = rng.below(words.size());
      const uint64_t op = rng.below(3);
      if (op == 0 && words.size() > 1) words.erase(words.begin() + static_cast<std::ptrdiff_t>(at));
      else if (op == 1 && at + 1 < words.size()) std::swap(words[at], words[at + 1]);
      else words.insert(words.begin() + static_cast<std::ptrdiff_t>(at), vocab[rng.below(vocab.size())]);
    }
    std::string text;
    for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
    try {
      readings += parse_description(text) != nullptr;
    } catch (const DescriptionParseError&) {
    }
  }
  EXPECT_GT(readings, 100);  // e.g. "immediately" deleted
  EXPECT_LT(readings, 10000);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 30.0);
}

TEST(RegexDescribe, SamplesStayWithinTheirShapes) {
  // & and ~ only where the ECMAScript oracle can express them (to_ecmascript throws otherwise), and variety.
  TaskRng rng(34);
  std::map<Node::Kind, int> tops;
  for (int i = 0; i < 5000; ++i) {
    const Described d = sample_description(rng);
    ASSERT_NO_THROW(to_ecmascript(*d.regex)) << to_string(*d.regex);
    ++tops[d.regex->kind];
  }
  EXPECT_GT(tops[Node::Kind::kConcat], 1000);
  EXPECT_GT(tops[Node::Kind::kAnd], 500);
  EXPECT_GT(tops[Node::Kind::kOr], 500);
  EXPECT_GT(tops[Node::Kind::kNot], 100);
}
