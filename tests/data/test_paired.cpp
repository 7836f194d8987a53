// Paired examples (data/paired_examples.hpp), their corpus layout, and collation (data/paired_batch.hpp).
#include <filesystem>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/corpus.hpp"
#include "data/paired_batch.hpp"
#include "data/paired_examples.hpp"

namespace fs = std::filesystem;
using namespace jepa::data;

namespace {

BpeTokenizer chat_tokenizer() {
  return BpeTokenizer::train({"lines containing the string 'dog'", ".*(dog).*", "lines starting with a digit", "([0-9]).*"},
                             300, chat_specials());
}

std::vector<int32_t> slice(const std::vector<int32_t>& v, int64_t a, int64_t b) { return {v.begin() + a, v.begin() + b}; }

}  // namespace

TEST(PairedExamples, ParsesBothJsonForms) {
  const auto a = parse_paired_json(R"({"text": "t1", "code": "c1"})", "f:1");
  EXPECT_EQ(a.text, "t1");
  EXPECT_EQ(a.code, "c1");
  const auto b = parse_paired_json(
      R"({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "t"}, {"role": "assistant", "content": "c"}]})",
      "f:2");
  EXPECT_EQ(b.system, "s");
  EXPECT_EQ(b.text, "t");
  EXPECT_EQ(b.code, "c");
  for (const char* bad : {"[1]", "{\"text\": \"t\"}", "{\"messages\": [{\"role\": \"user\", \"content\": \"t\"}]}",
                          "{\"messages\": [{\"role\": \"bot\", \"content\": \"t\"}]}", "not json", "{\"text\": \"\", \"code\": \"c\"}"}) {
    try {
      parse_paired_json(bad, "f:9");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("f:9: ", 0), 0u) << e.what();
    }
  }
}

TEST(PairedExamples, ViewsAreTheTurnsOfTheTemplate) {
  const auto tok = chat_tokenizer();
  const auto id = ChatIds::of(tok);
  for (const std::string sys : {"", "you write regexes"}) {
    const ChatExample ex{sys, "lines containing the string 'dog'", ".*(dog).*"};
    const auto p = encode_example(tok, ex);
    EXPECT_EQ(p.doc.front(), id.bos);
    // <|bos|> + each span is exactly the standalone view.
    auto text = slice(p.doc, p.views.text_begin, p.views.text_end);
    text.insert(text.begin(), id.bos);
    EXPECT_EQ(text, encode_text_view(tok, ex.text));
    auto code = slice(p.doc, p.views.code_begin, p.views.code_end);
    code.insert(code.begin(), id.bos);
    EXPECT_EQ(code, encode_code_view(tok, ex.code));
    // The prompt is the example up to the <|assistant|> tag; the answer follows it.
    const auto prompt = encode_prompt(tok, ex);
    EXPECT_EQ(prompt, slice(p.doc, 0, p.views.code_begin + 1));
    EXPECT_EQ(tok.decode(slice(p.doc, p.views.code_begin + 1, p.views.code_end - 1)), ex.code);
    EXPECT_EQ(p.views.code_end, static_cast<int64_t>(p.doc.size()));
  }
}

TEST(PairedBatch, LabelsAndLastTokensUnderBothPaddings) {
  const auto tok = chat_tokenizer();
  const auto id = ChatIds::of(tok);
  std::vector<PairedExample> ex = {encode_example(tok, {"", "lines containing the string 'dog'", ".*(dog).*"}),
                                   encode_example(tok, {"", "lines starting with a digit", "([0-9]).*"})};
  for (const bool packed : {true, false})
    for (const bool left : {false, true}) {
      PairedParams p;
      p.pred_tokens = 2;
      p.packed = packed;
      p.left_pad = left;
      p.bos = id.bos;
      p.pad = id.pad;
      p.pred = id.pred;
      const auto b = collate_paired(ex, p);
      const auto& v = *b.paired;
      const auto L = b.input_ids.size(1);
      int64_t labels = 0;
      for (size_t i = 0; i < ex.size(); ++i) {
        const auto& e = ex[i];
        const auto n = static_cast<int64_t>(e.doc.size());
        const int64_t off = left ? L - n : 0;
        // Labels: the position before each answer token predicts it; nothing else is labelled.
        for (int64_t t = 0; t < L; ++t) {
          const int64_t pos = t - off;  // position in the example
          const bool labelled = pos + 1 > e.views.code_begin && pos + 1 < e.views.code_end && pos >= 0;
          const auto want = labelled ? e.doc[static_cast<size_t>(pos + 1)] : -100;
          EXPECT_EQ(v.labels[static_cast<int64_t>(i)][t].item<int64_t>(), want) << "row " << i << " col " << t;
        }
        labels += e.views.code_end - e.views.code_begin - 1;
        // The text view's last token is the last [PRED]; the code view's is <|end|>.
        const auto flat = v.view_ids.reshape({-1});
        const auto seg = v.view_segments.reshape({-1});
        const auto pos = v.view_positions.reshape({-1});
        const auto tl = v.text_last[static_cast<int64_t>(i)].item<int64_t>();
        const auto cl = v.code_last[static_cast<int64_t>(i)].item<int64_t>();
        EXPECT_EQ(flat[tl].item<int64_t>(), id.pred);
        EXPECT_EQ(flat[cl].item<int64_t>(), id.end);
        EXPECT_EQ(seg[tl].item<int64_t>(), 1);
        EXPECT_EQ(seg[cl].item<int64_t>(), packed ? 2 : 1);
        // Positions restart per view: the last text token sits at |<|bos|> + user turn| + k - 1.
        EXPECT_EQ(pos[tl].item<int64_t>(), 1 + (e.views.text_end - e.views.text_begin) + 2 - 1);
        EXPECT_EQ(pos[cl].item<int64_t>(), 1 + (e.views.code_end - e.views.code_begin) - 1);
      }
      EXPECT_EQ(v.label_count, labels);
      EXPECT_EQ(v.view_ids.size(0), packed ? 2 : 4);
      // Micro-batch rows are collated again with the same layout.
      const auto r = b.rows(1, 1);
      EXPECT_EQ(r.paired->label_count, ex[1].views.code_end - ex[1].views.code_begin - 1);
    }
}

TEST(PairedCorpus, RoundTripsAndRejectsBadSpans) {
  const auto dir = fs::temp_directory_path() / "jepa_test_paired_corpus";
  fs::create_directories(dir);
  const auto path = (dir / "p.h5").string();
  const auto tok = chat_tokenizer();
  const auto id = ChatIds::of(tok);
  CorpusMeta meta;
  meta.tokenizer = "byte-bpe";
  meta.tokenizer_spec = tok.to_text();
  meta.vocab_size = tok.vocab_size();
  meta.special = {id.pad, id.pad, id.bos, id.end, id.pred};
  meta.max_length = 64;
  meta.layout = "paired";
  const auto a = encode_example(tok, {"", "lines containing the string 'dog'", ".*(dog).*"});
  const auto b = encode_example(tok, {"", "lines starting with a digit", "([0-9]).*"});
  {
    CorpusWriter w(path, meta);
    w.add_paired(a.doc, a.views);
    w.add_paired(b.doc, b.views);
    EXPECT_THROW(w.add(a.doc), std::runtime_error);  // a paired corpus takes examples with their views
    EXPECT_THROW(w.add_paired(a.doc, {0, 99, 1, 2}), std::runtime_error);
    w.close();
  }
  const CorpusReader r(path);
  ASSERT_TRUE(r.meta().paired());
  EXPECT_EQ(r.meta().tokenizer_spec, tok.to_text());
  EXPECT_EQ(r.size(), 2);
  EXPECT_EQ(r.doc(1), b.doc);
  const auto v = r.views({1, 0});
  EXPECT_EQ(v[0].code_begin, b.views.code_begin);
  EXPECT_EQ(v[1].text_end, a.views.text_end);
  EXPECT_EQ(BpeTokenizer::from_text(r.meta().tokenizer_spec).encode("dog"), tok.encode("dog"));
  fs::remove_all(dir);
}
