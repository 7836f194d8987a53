// HDF5 corpus writer/reader: round trips, partial reads, atomic writes, and one clear error per kind of damage.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "data/corpus.hpp"

namespace fs = std::filesystem;
using jepa::data::CorpusMeta;
using jepa::data::CorpusReader;
using jepa::data::CorpusWriter;

namespace {

using Docs = std::vector<std::vector<int32_t>>;

CorpusMeta test_meta() {
  CorpusMeta m;
  m.vocab_sha256 = std::string(64, 'a');
  m.vocab_size = 30522;
  m.max_length = 16;
  m.source = "unit-test.txt";
  m.created_by = "test_corpus";
  return m;
}

// Random bodies of length 0..max_len (some empty), ids in [0, vocab).
Docs random_docs(size_t n, size_t max_len, uint32_t seed, int32_t vocab = 30522) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> len(0, max_len);
  std::uniform_int_distribution<int32_t> id(0, vocab - 1);
  Docs docs(n);
  for (auto& d : docs) {
    d.resize(len(rng));
    for (auto& t : d) t = id(rng);
  }
  if (n > 3) docs[0].clear(), docs[n / 2].clear(), docs[n - 1].clear();
  return docs;
}

void write_corpus(const std::string& path, const Docs& docs, CorpusMeta meta = test_meta(), int deflate = 0) {
  CorpusWriter w(path, meta, deflate);
  for (const auto& d : docs) w.add(d);
  EXPECT_EQ(w.docs(), static_cast<int64_t>(docs.size()));
  w.close();
}

// The message of the std::runtime_error thrown by opening `path` ("" when it opens fine).
std::string open_error(const std::string& path) {
  try {
    CorpusReader r(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// ---- hand-made HDF5 files (for the damage the writer never produces) -----------------------------------------

struct RawSpec {
  bool tokens = true, offsets = true;
  std::vector<int32_t> token_values{1, 2, 3, 4, 5};
  std::vector<int64_t> offset_values{0, 2, 5};
  bool tokens_2d = false;
  bool offsets_float = false;
  bool fixed_strings = false;
  std::vector<std::string> skip_attrs;
};

void raw_string_attr(hid_t f, const char* name, const std::string& v, bool fixed) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, fixed ? v.size() + 1 : H5T_VARIABLE);
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(f, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  const char* p = v.c_str();
  if (fixed) H5Awrite(a, t, p);
  else H5Awrite(a, t, &p);
  H5Aclose(a), H5Sclose(s), H5Tclose(t);
}

void raw_int_attr(hid_t f, const char* name, int64_t v) {
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(f, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT64, &v);
  H5Aclose(a), H5Sclose(s);
}

void write_raw(const std::string& path, const RawSpec& spec) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  if (spec.tokens) {
    hsize_t dims[2] = {spec.token_values.size(), 1};
    hid_t s = H5Screate_simple(spec.tokens_2d ? 2 : 1, dims, nullptr);
    hid_t d = H5Dcreate2(f, "/tokens", H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, spec.token_values.data());
    H5Dclose(d), H5Sclose(s);
  }
  if (spec.offsets) {
    hsize_t n = spec.offset_values.size();
    hid_t s = H5Screate_simple(1, &n, nullptr);
    hid_t d = H5Dcreate2(f, "/offsets", spec.offsets_float ? H5T_IEEE_F64LE : H5T_STD_I64LE, s, H5P_DEFAULT,
                         H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, spec.offset_values.data());
    H5Dclose(d), H5Sclose(s);
  }
  auto skip = [&](const std::string& n) {
    for (const auto& s : spec.skip_attrs)
      if (s == n) return true;
    return false;
  };
  const std::vector<std::pair<const char*, std::string>> strs = {
      {"tokenizer", "bert-wordpiece-uncased"}, {"vocab_sha256", std::string(64, 'b')},
      {"source", "raw"}, {"created_by", "write_raw"}};
  for (const auto& [k, v] : strs)
    if (!skip(k)) raw_string_attr(f, k, v, spec.fixed_strings);
  const int64_t n_docs = spec.offset_values.empty() ? 0 : static_cast<int64_t>(spec.offset_values.size()) - 1;
  const std::vector<std::pair<const char*, int64_t>> ints = {
      {"vocab_size", 30522}, {"cls_id", 101}, {"sep_id", 102}, {"pad_id", 0}, {"mask_id", 103}, {"unk_id", 100},
      {"max_length", 16}, {"n_docs", n_docs}, {"n_tokens", static_cast<int64_t>(spec.token_values.size())},
      {"format_version", 1}};
  for (const auto& [k, v] : ints)
    if (!skip(k)) raw_int_attr(f, k, v);
  H5Fclose(f);
}

class Corpus : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(JEPA_BUILD_DIR) / "test_tmp" / ("corpus_" + std::string(info->name()) + "_" +
                                                    std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Asserts that opening fails with a one-line message naming the file and containing `what`.
  void expect_open_error(const std::string& file, const std::string& what) {
    const std::string msg = open_error(file);
    ASSERT_FALSE(msg.empty()) << file << " opened without error";
    EXPECT_NE(msg.find(what), std::string::npos) << "message: " << msg;
    EXPECT_NE(msg.find("'" + file + "'"), std::string::npos) << "message does not name the file: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
  }

  fs::path dir_;
};

TEST_F(Corpus, RoundTripWithMeta) {
  // Enough tokens and documents to cross chunk boundaries of both datasets (64Ki tokens, 16Ki offsets).
  const Docs docs = random_docs(20000, 14, 1);
  CorpusMeta meta = test_meta();
  meta.special.cls = 7, meta.special.sep = 8, meta.special.pad = 1, meta.special.mask = 9, meta.special.unk = 3;
  meta.source = "dir/ünïcode source.txt";
  write_corpus(path("c.h5"), docs, meta);
  EXPECT_FALSE(fs::exists(path("c.h5.tmp")));

  CorpusReader r(path("c.h5"));
  ASSERT_EQ(r.size(), 20000);
  int64_t n_tokens = 0;
  for (const auto& d : docs) n_tokens += static_cast<int64_t>(d.size());
  const auto& m = r.meta();
  EXPECT_EQ(m.n_docs, 20000);
  EXPECT_EQ(m.n_tokens, n_tokens);
  EXPECT_GT(n_tokens, 2 * 65536);
  EXPECT_EQ(m.tokenizer, "bert-wordpiece-uncased");
  EXPECT_EQ(m.vocab_sha256, meta.vocab_sha256);
  EXPECT_EQ(m.vocab_size, 30522);
  EXPECT_EQ(m.max_length, 16);
  EXPECT_EQ(m.source, meta.source);
  EXPECT_EQ(m.created_by, "test_corpus");
  EXPECT_EQ(m.special.cls, 7);
  EXPECT_EQ(m.special.sep, 8);
  EXPECT_EQ(m.special.pad, 1);
  EXPECT_EQ(m.special.mask, 9);
  EXPECT_EQ(m.special.unk, 3);

  for (int64_t i : {0, 1, 2, 9999, 10000, 19999}) EXPECT_EQ(r.doc(i), docs[static_cast<size_t>(i)]) << i;
  EXPECT_TRUE(r.doc(0).empty());
  // Everything, in batches.
  for (int64_t start = 0; start < 20000; start += 1000) {
    std::vector<int64_t> idx;
    for (int64_t i = start; i < start + 1000; ++i) idx.push_back(i);
    const auto got = r.docs(idx);
    for (size_t k = 0; k < idx.size(); ++k) ASSERT_EQ(got[k], docs[static_cast<size_t>(idx[k])]) << idx[k];
  }
  EXPECT_NO_THROW(r.check_vocab(meta.vocab_sha256));
}

TEST_F(Corpus, ReadsSubsetsInRequestedOrder) {
  const Docs docs = random_docs(500, 14, 2);
  write_corpus(path("c.h5"), docs);
  CorpusReader r(path("c.h5"));
  // Unsorted, duplicated, empty documents, first and last.
  const std::vector<int64_t> idx = {499, 3, 250, 3, 0, 17, 498, 250, 1};
  const auto got = r.docs(idx);
  ASSERT_EQ(got.size(), idx.size());
  for (size_t k = 0; k < idx.size(); ++k) EXPECT_EQ(got[k], docs[static_cast<size_t>(idx[k])]) << idx[k];
  EXPECT_TRUE(r.docs({}).empty());
  // Random batches.
  std::mt19937 rng(5);
  std::uniform_int_distribution<int64_t> pick(0, 499);
  for (int rep = 0; rep < 20; ++rep) {
    std::vector<int64_t> b(32);
    for (auto& i : b) i = pick(rng);
    const auto g = r.docs(b);
    for (size_t k = 0; k < b.size(); ++k) ASSERT_EQ(g[k], docs[static_cast<size_t>(b[k])]);
  }
  EXPECT_THROW(r.doc(500), std::out_of_range);
  EXPECT_THROW(r.docs({1, -1}), std::out_of_range);
}

TEST_F(Corpus, EmptyCorpusAndAllEmptyDocs) {
  write_corpus(path("empty.h5"), {});
  CorpusReader e(path("empty.h5"));
  EXPECT_EQ(e.size(), 0);
  EXPECT_EQ(e.meta().n_tokens, 0);

  write_corpus(path("blank.h5"), Docs(3));
  CorpusReader b(path("blank.h5"));
  ASSERT_EQ(b.size(), 3);
  for (const auto& d : b.docs({2, 0, 1})) EXPECT_TRUE(d.empty());
}

TEST_F(Corpus, DeflateRoundTrip) {
  const Docs docs = random_docs(3000, 14, 3);
  write_corpus(path("z.h5"), docs, test_meta(), 4);
  CorpusReader r(path("z.h5"));
  ASSERT_EQ(r.size(), 3000);
  for (int64_t i : {0, 1, 1500, 2999}) EXPECT_EQ(r.doc(i), docs[static_cast<size_t>(i)]);
}

TEST_F(Corpus, WriterWithoutCloseLeavesNothing) {
  {
    CorpusWriter w(path("new.h5"), test_meta());
    w.add({1, 2, 3});
    EXPECT_TRUE(fs::exists(path("new.h5.tmp")));
  }
  EXPECT_FALSE(fs::exists(path("new.h5")));
  EXPECT_FALSE(fs::exists(path("new.h5.tmp")));
}

TEST_F(Corpus, AbandonedWriterDoesNotClobberExistingFile) {
  const Docs old_docs = {{5, 6, 7}, {8}};
  write_corpus(path("c.h5"), old_docs);
  std::ifstream before(path("c.h5"), std::ios::binary);
  const std::string old_bytes((std::istreambuf_iterator<char>(before)), {});
  {
    CorpusWriter w(path("c.h5"), test_meta());
    for (const auto& d : random_docs(100, 14, 4)) w.add(d);
  }
  std::ifstream after(path("c.h5"), std::ios::binary);
  const std::string new_bytes((std::istreambuf_iterator<char>(after)), {});
  EXPECT_EQ(old_bytes, new_bytes);
  EXPECT_FALSE(fs::exists(path("c.h5.tmp")));
  CorpusReader r(path("c.h5"));
  EXPECT_EQ(r.size(), 2);
  EXPECT_EQ(r.doc(0), old_docs[0]);
}

TEST_F(Corpus, CloseReplacesExistingFile) {
  write_corpus(path("c.h5"), {{1}, {2}});
  write_corpus(path("c.h5"), {{3, 4}});
  CorpusReader r(path("c.h5"));
  ASSERT_EQ(r.size(), 1);
  EXPECT_EQ(r.doc(0), (std::vector<int32_t>{3, 4}));
}

TEST_F(Corpus, WriterRejectsBadInput) {
  CorpusWriter w(path("c.h5"), test_meta());  // max_length 16 -> bodies of at most 14 tokens
  EXPECT_THROW(w.add(std::vector<int32_t>(15, 1)), std::runtime_error);
  CorpusWriter w2(path("d.h5"), test_meta());
  EXPECT_THROW(w2.add({1, 30522}), std::runtime_error);
  EXPECT_THROW(w2.add({-1}), std::runtime_error);
  try {
    CorpusWriter bad((dir_ / "no_such_dir" / "c.h5").string(), test_meta());
    FAIL() << "created a writer in a missing directory";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot create"), std::string::npos) << e.what();
  }
}

TEST_F(Corpus, ReadsHandMadeFilesWithFixedLengthStrings) {
  RawSpec spec;
  spec.fixed_strings = true;
  write_raw(path("raw.h5"), spec);
  CorpusReader r(path("raw.h5"));
  EXPECT_EQ(r.meta().vocab_sha256, std::string(64, 'b'));
  EXPECT_EQ(r.meta().tokenizer, "bert-wordpiece-uncased");
  EXPECT_EQ(r.doc(1), (std::vector<int32_t>{3, 4, 5}));
}

// ---- errors ----------------------------------------------------------------------------------------------------

TEST_F(Corpus, ErrorMissingFile) { expect_open_error(path("nope.h5"), "file not found"); }

TEST_F(Corpus, ErrorNotHdf5) {
  std::mt19937 rng(9);
  std::ofstream f(path("junk.h5"), std::ios::binary);
  for (int i = 0; i < 4096; ++i) f.put(static_cast<char>(rng()));
  f.close();
  expect_open_error(path("junk.h5"), "not an HDF5 file");
  std::ofstream(path("empty.h5")).close();
  expect_open_error(path("empty.h5"), "not an HDF5 file");
}

TEST_F(Corpus, ErrorMissingTokens) {
  RawSpec spec;
  spec.tokens = false;
  write_raw(path("c.h5"), spec);
  expect_open_error(path("c.h5"), "dataset /tokens missing");
}

TEST_F(Corpus, ErrorMissingOffsets) {
  RawSpec spec;
  spec.offsets = false;
  write_raw(path("c.h5"), spec);
  expect_open_error(path("c.h5"), "dataset /offsets missing");
}

TEST_F(Corpus, ErrorWrongShapeOrType) {
  RawSpec rank2;
  rank2.tokens_2d = true;
  write_raw(path("rank.h5"), rank2);
  expect_open_error(path("rank.h5"), "dataset /tokens has rank 2");
  RawSpec flt;
  flt.offsets_float = true;
  write_raw(path("float.h5"), flt);
  expect_open_error(path("float.h5"), "dataset /offsets has type");
}

TEST_F(Corpus, ErrorOffsetsNotMonotonic) {
  RawSpec spec;
  spec.offset_values = {0, 3, 2, 5};
  write_raw(path("c.h5"), spec);
  expect_open_error(path("c.h5"), "offsets not monotonic");
}

TEST_F(Corpus, ErrorOffsetsPastTheEnd) {
  RawSpec spec;
  spec.offset_values = {0, 9, 5};
  write_raw(path("past.h5"), spec);
  expect_open_error(path("past.h5"), "past the end of /tokens");
  RawSpec short_last;
  short_last.offset_values = {0, 2, 4};  // 5 tokens, last offset 4
  write_raw(path("last.h5"), short_last);
  expect_open_error(path("last.h5"), "last offset is 4 but /tokens has 5 tokens");
  RawSpec first;
  first.offset_values = {1, 2, 5};
  write_raw(path("first.h5"), first);
  expect_open_error(path("first.h5"), "offsets[0] is 1");
}

TEST_F(Corpus, ErrorMissingAttribute) {
  RawSpec spec;
  spec.skip_attrs = {"vocab_sha256"};
  write_raw(path("c.h5"), spec);
  expect_open_error(path("c.h5"), "attribute vocab_sha256 missing");
  RawSpec ids;
  ids.skip_attrs = {"mask_id"};
  write_raw(path("ids.h5"), ids);
  expect_open_error(path("ids.h5"), "attribute mask_id missing");
}

TEST_F(Corpus, ErrorTruncatedFile) {
  write_corpus(path("c.h5"), random_docs(20000, 14, 6));
  const auto size = fs::file_size(path("c.h5"));
  for (auto keep : {size / 2, size - 1000, static_cast<uintmax_t>(600)}) {
    fs::copy_file(path("c.h5"), path("t.h5"), fs::copy_options::overwrite_existing);
    fs::resize_file(path("t.h5"), keep);
    const std::string msg = open_error(path("t.h5"));
    ASSERT_FALSE(msg.empty()) << "truncated to " << keep << " bytes, opened without error";
    EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST_F(Corpus, ErrorWrongVocab) {
  write_corpus(path("c.h5"), {{1, 2}});
  CorpusReader r(path("c.h5"));
  const std::string other(64, 'f');
  try {
    r.check_vocab(other);
    FAIL() << "check_vocab accepted another vocabulary";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(std::string(64, 'a')), std::string::npos) << msg;
    EXPECT_NE(msg.find(other), std::string::npos) << msg;
    EXPECT_NE(msg.find(path("c.h5")), std::string::npos) << msg;
  }
}

}  // namespace

TEST_F(Corpus, LengthsAreTheDocumentSizesInTheOrderAsked) {  // what data.group_by_length sorts by
  const Docs docs = random_docs(300, 14, 5);  // within test_meta()'s max_length - 2
  write_corpus(path("c.h5"), docs);
  CorpusReader r(path("c.h5"));
  const std::vector<int64_t> ask = {299, 0, 17, 17, 150};
  const auto len = r.lengths(ask);
  ASSERT_EQ(len.size(), ask.size());
  for (size_t k = 0; k < ask.size(); ++k)
    EXPECT_EQ(len[k], static_cast<int64_t>(docs[static_cast<size_t>(ask[k])].size())) << "doc " << ask[k];
  EXPECT_TRUE(r.lengths({}).empty());
  EXPECT_THROW(r.lengths({300}), std::out_of_range);
}
