// data.prefetch: the prefetched batch of a step is the batch the loader builds for it, in any order of requests,
// and an error building a batch surfaces at that step's get(), on the calling thread.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include "data/corpus.hpp"
#include "data/prefetch.hpp"

namespace fs = std::filesystem;
using namespace jepa::data;

namespace {

std::shared_ptr<const CorpusReader> make_corpus(const fs::path& path, int64_t bad_doc = -1) {
  CorpusMeta meta;
  meta.vocab_sha256 = std::string(64, 'a');
  meta.vocab_size = 1000;
  meta.max_length = 32;
  meta.source = "unit-test";
  meta.created_by = "test_prefetch";
  CorpusWriter w(path.string(), meta);
  std::mt19937 rng(3);
  hsize_t bad_at = 0;
  for (int64_t d = 0; d < 64; ++d) {
    std::vector<int32_t> body(5 + rng() % 20);
    for (auto& t : body) t = static_cast<int32_t>(200 + rng() % 800);
    if (d < bad_doc) bad_at += body.size();
    w.add(body);
  }
  w.close();
  if (bad_doc >= 0) {  // damage the file after writing (the writer refuses such ids): read_batch must refuse it
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    const hid_t tokens = H5Dopen2(f, "/tokens", H5P_DEFAULT);
    const hid_t fspace = H5Dget_space(tokens);
    const hsize_t one = 1;
    H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &bad_at, nullptr, &one, nullptr);
    const hid_t mspace = H5Screate_simple(1, &one, nullptr);
    const int32_t beyond = 5000;
    EXPECT_GE(H5Dwrite(tokens, H5T_NATIVE_INT32, mspace, fspace, H5P_DEFAULT, &beyond), 0);
    H5Sclose(mspace);
    H5Sclose(fspace);
    H5Dclose(tokens);
    H5Fclose(f);
  }
  return std::make_shared<const CorpusReader>(path.string());
}

void expect_same(const Batch& a, const Batch& b, int64_t step) {
  EXPECT_TRUE(torch::equal(a.input_ids, b.input_ids)) << "step " << step;
  EXPECT_TRUE(torch::equal(a.masked_input_ids, b.masked_input_ids)) << "step " << step;
  EXPECT_TRUE(torch::equal(a.pred_mask, b.pred_mask)) << "step " << step;
  EXPECT_EQ(a.docs, b.docs) << "step " << step;
}

struct Prefetch : ::testing::Test {
  fs::path dir = fs::temp_directory_path() / ("jepa_prefetch_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
};

}  // namespace

TEST_F(Prefetch, GivesTheLoadersBatchForEveryStepInAnyOrder) {
  const auto corpus = make_corpus(dir / "c.h5");
  Loader loader(corpus, DistributedSampler(corpus->size(), 4, 0, 1, 9), 32, MaskParams{}, 9);
  Loader reference(corpus, DistributedSampler(corpus->size(), 4, 0, 1, 9), 32, MaskParams{}, 9);
  Prefetcher prefetch(loader, true, 40);
  for (int64_t step = 0; step < 20; ++step) expect_same(prefetch.get(step), reference.batch(step), step);  // 2 epochs
  expect_same(prefetch.get(25), reference.batch(25), 25);  // skipping ahead drops the prefetched step 20
  expect_same(prefetch.get(3), reference.batch(3), 3);     // and going back (a resume) too
  expect_same(prefetch.get(39), reference.batch(39), 39);  // the last step: nothing more is built
  Prefetcher off(loader, false, 40);
  expect_same(off.get(7), reference.batch(7), 7);
}

TEST_F(Prefetch, AnErrorSurfacesAtItsOwnStep) {
  const int64_t bad = 17;
  const auto corpus = make_corpus(dir / "bad.h5", bad);
  Loader loader(corpus, DistributedSampler(corpus->size(), 4, 0, 1, 9), 32, MaskParams{}, 9);
  int64_t bad_step = -1;
  for (int64_t step = 0; step < 16 && bad_step < 0; ++step)
    for (const auto& r : loader.sampler().local_batch(step))
      if (r.doc == bad) bad_step = step;
  ASSERT_GE(bad_step, 0);
  Prefetcher prefetch(loader, true, 100);
  for (int64_t step = 0; step < bad_step; ++step) EXPECT_NO_THROW(prefetch.get(step)) << "step " << step;
  try {
    prefetch.get(bad_step);
    FAIL() << "expected the bad document's error at step " << bad_step;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("5000"), std::string::npos) << e.what();
  }
}
