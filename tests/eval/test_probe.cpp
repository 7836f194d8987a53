// The topic probe's parts on inputs with known answers (src/eval/): separable clusters are learnt, shuffled labels
// are not, the fitted probe is the optimum of its stated objective, macro-F1 and TF-IDF match hand-computed values,
// and everything is deterministic.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "eval/labelled.hpp"
#include "eval/probe.hpp"
#include "eval/tfidf.hpp"

namespace fs = std::filesystem;
using namespace jepa::eval;

namespace {

struct Data {
  torch::Tensor x;
  std::vector<int64_t> y;
};

// `per_class` points around each of `classes` random centres (norm ~ spread * sqrt(dim)) with unit noise.
Data clusters(int64_t classes, int64_t per_class, int64_t dim, double spread, uint64_t seed, const torch::Tensor& centres = {}) {
  torch::manual_seed(seed);
  const auto c = centres.defined() ? centres : torch::randn({classes, dim}, torch::kDouble) * spread;
  Data d;
  d.x = torch::randn({classes * per_class, dim}, torch::kDouble);
  for (int64_t i = 0; i < classes * per_class; ++i) {
    d.y.push_back(i % classes);
    d.x[i] += c[i % classes];
  }
  return d;
}

torch::Tensor centres(int64_t classes, int64_t dim, double spread, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randn({classes, dim}, torch::kDouble) * spread;
}

std::vector<int64_t> shuffled(std::vector<int64_t> y, uint64_t seed) {
  torch::manual_seed(seed);
  const auto perm = torch::randperm(static_cast<int64_t>(y.size()), torch::kLong);
  std::vector<int64_t> out(y.size());
  for (size_t i = 0; i < y.size(); ++i) out[i] = y[static_cast<size_t>(perm[static_cast<int64_t>(i)].item<int64_t>())];
  return out;
}

fs::path write_file(const std::string& name, const std::string& text) {
  const auto dir = fs::temp_directory_path() / "jepa_test_probe";
  fs::create_directories(dir);
  const auto p = dir / name;
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(Probe, SeparableClustersAreLearnt) {
  const auto c = centres(8, 32, 1.0, 1);  // centre distance ~ 8 noise stds: linearly separable in practice
  const auto train = clusters(8, 40, 32, 1.0, 2, c), test = clusters(8, 50, 32, 1.0, 3, c);
  const auto r = run_probe(train.x, train.y, test.x, test.y, 8);
  EXPECT_GE(r.linear_accuracy, 0.98);
  EXPECT_GE(r.knn_accuracy, 0.98);
  EXPECT_GE(r.macro_f1, 0.98);
  EXPECT_DOUBLE_EQ(r.train_accuracy, 1.0);
  EXPECT_EQ(r.classes, 8);
  EXPECT_EQ(r.train_size, 320);
  EXPECT_EQ(r.test_size, 400);
  EXPECT_EQ(r.dim, 32);
  EXPECT_DOUBLE_EQ(r.chance, 0.125);
  EXPECT_DOUBLE_EQ(r.majority_baseline, 0.125);
}

TEST(Probe, ShuffledLabelsScoreChance) {
  // Same separable features, labels permuted at random: nothing generalises (the probe still fits the training set).
  const auto c = centres(4, 64, 1.0, 4);
  const auto train = clusters(4, 250, 64, 1.0, 5, c), test = clusters(4, 500, 64, 1.0, 6, c);
  const auto r = run_probe(train.x, shuffled(train.y, 7), test.x, shuffled(test.y, 8), 4);
  // chance 0.25; the std of an accuracy on 2000 independent guesses is 0.0097
  EXPECT_NEAR(r.linear_accuracy, 0.25, 0.04);
  EXPECT_NEAR(r.knn_accuracy, 0.25, 0.04);
  EXPECT_NEAR(r.macro_f1, 0.25, 0.05);
  EXPECT_GT(r.train_accuracy, 0.35);  // it did fit something: the random labels of the training set
}

TEST(Probe, IsTheOptimumOfItsObjective) {
  // The gradient of sum CE + l2/2 ||W||^2 (bias not penalised), computed here independently, vanishes at the fit.
  const auto d = clusters(3, 30, 5, 0.5, 9);  // overlapping classes: a finite optimum
  ProbeOptions opt;
  opt.l2 = 2.0;
  const auto p = fit_linear_probe(d.x, d.y, 3, opt);
  const auto z = (d.x - d.x.mean(0)) / d.x.std(0, false);
  auto w = p.weight.clone().requires_grad_(true), b = p.bias.clone().requires_grad_(true);
  const auto y = torch::tensor(d.y, torch::kLong);
  const auto loss = torch::nn::functional::cross_entropy(
                        z.matmul(w.t()) + b, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)) +
                    opt.l2 / 2 * w.pow(2).sum();
  loss.backward();
  // (summed over 90 rows: ~1e-7 per row)
  EXPECT_LT(w.grad().abs().max().item<double>(), 1e-5);
  EXPECT_LT(b.grad().abs().max().item<double>(), 1e-5);
  EXPECT_NEAR(p.final_loss, loss.item<double>() / 90.0, 1e-9);
  EXPECT_GT(p.weight.abs().max().item<double>(), 0.1);
}

TEST(Probe, FeaturesAreStandardised) {
  // Scaling and shifting a feature changes nothing (the probe sees the standardised features).
  const auto c = centres(3, 4, 0.7, 10);
  const auto train = clusters(3, 30, 4, 0.7, 11, c), test = clusters(3, 30, 4, 0.7, 12, c);
  const auto scale = torch::tensor({1000.0, 1e-3, 1.0, 7.0}, torch::kDouble);
  const auto shift = torch::tensor({5.0, -3.0, 100.0, 0.0}, torch::kDouble);
  const auto a = fit_linear_probe(train.x, train.y, 3), b = fit_linear_probe(train.x * scale + shift, train.y, 3);
  EXPECT_EQ(a.predict(test.x), b.predict(test.x * scale + shift));
  EXPECT_LT((a.weight - b.weight).abs().max().item<double>(), 1e-5);
  // Without standardisation the raw features are used: fitting them equals fitting pre-standardised ones.
  ProbeOptions raw;
  raw.standardize = false;
  const auto z = (train.x - train.x.mean(0)) / train.x.std(0, false);
  const auto r = fit_linear_probe(z, train.y, 3, raw);
  EXPECT_LT((r.weight - a.weight).abs().max().item<double>(), 1e-6);
  EXPECT_TRUE(torch::equal(r.mean, torch::zeros({4}, torch::kDouble)) && torch::equal(r.std, torch::ones({4}, torch::kDouble)));
}

TEST(Probe, Deterministic) {
  const auto c = centres(5, 16, 0.4, 13);
  const auto train = clusters(5, 30, 16, 0.4, 14, c), test = clusters(5, 30, 16, 0.4, 15, c);
  const auto r1 = run_probe(train.x, train.y, test.x, test.y, 5), r2 = run_probe(train.x, train.y, test.x, test.y, 5);
  EXPECT_EQ(r1.linear_accuracy, r2.linear_accuracy);
  EXPECT_EQ(r1.knn_accuracy, r2.knn_accuracy);
  EXPECT_EQ(r1.macro_f1, r2.macro_f1);
  EXPECT_EQ(r1.final_loss, r2.final_loss);
  EXPECT_EQ(r1.evaluations, r2.evaluations);
  const auto p1 = fit_linear_probe(train.x, train.y, 5), p2 = fit_linear_probe(train.x.clone(), train.y, 5);
  EXPECT_TRUE(torch::equal(p1.weight, p2.weight) && torch::equal(p1.bias, p2.bias));
  EXPECT_LT(r1.linear_accuracy, 1.0);  // overlapping classes: not a trivially perfect case
}

TEST(Probe, MacroF1ByHand) {
  // class 0: tp 1, fp 1, fn 1 -> 1/2; class 1: tp 2, fp 1, fn 0 -> 4/5; class 2: tp 1, fp 0, fn 1 -> 2/3.
  const std::vector<int64_t> truth{0, 0, 1, 1, 2, 2}, pred{0, 1, 1, 1, 0, 2};
  EXPECT_NEAR(macro_f1(truth, pred, 3), (0.5 + 0.8 + 2.0 / 3.0) / 3.0, 1e-15);
  EXPECT_NEAR(macro_f1(truth, pred, 5), (0.5 + 0.8 + 2.0 / 3.0) / 3.0, 1e-15);  // classes in neither: not averaged
  // A class only predicted counts with F1 0 (scikit-learn's f1_score(average="macro") gives 0.3 here).
  EXPECT_NEAR(macro_f1({0, 0, 1, 1}, {0, 2, 1, 1}, 3), (2.0 / 3.0 + 1.0 + 0.0) / 3.0, 1e-15);
  EXPECT_DOUBLE_EQ(macro_f1({0, 1, 2}, {0, 1, 2}, 3), 1.0);
  EXPECT_DOUBLE_EQ(accuracy(truth, pred), 4.0 / 6.0);
  EXPECT_THROW(macro_f1({0}, {0, 1}, 2), std::invalid_argument);
  EXPECT_THROW(macro_f1({0}, {3}, 2), std::invalid_argument);
}

TEST(Probe, KnnVotesByCosine) {
  // Training rows: directions matter, lengths do not.
  const auto train = torch::tensor({{1.0, 0.0}, {10.0, 1.0}, {0.0, 1.0}, {0.1, 5.0}, {-1.0, 0.0}}, torch::kDouble);
  const std::vector<int64_t> y{0, 0, 1, 1, 2};
  const auto q = torch::tensor({{100.0, 1.0}, {0.0, 0.01}, {-3.0, 0.1}}, torch::kDouble);
  EXPECT_EQ(knn_predict(train, y, q, 3, 1), (std::vector<int64_t>{0, 1, 2}));
  // [-3, .1] ranks its neighbours as classes 2, 1, 1, 0, 0: k = 2 ties 2 and 1 (the best-ranked, 2, wins), k = 3 is 1.
  EXPECT_EQ(knn_predict(train, y, q, 3, 2), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(knn_predict(train, y, q, 3, 3), (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(knn_predict(train, y, q, 3, 99), knn_predict(train, y, q, 3, 5));  // k capped at the training rows
}

TEST(ProbeTfidf, WordsLikeScikitLearn) {
  EXPECT_EQ(tfidf_words("Hello, World! I'm at café_42 -- x y zz"),
            (std::vector<std::string>{"hello", "world", "at", "café_42", "zz"}));
  EXPECT_EQ(tfidf_words("é a"), (std::vector<std::string>{}));  // one character each (é is two bytes)
}

TEST(ProbeTfidf, ValuesByHand) {
  // df: aa 2, bb 2, cc 1, "aa bb" 1, "aa cc" 1, "bb bb" 1; N = 3, min_df 1.
  Tfidf t(2, 1);
  t.fit({"aa bb", "aa cc", "bb bb"});
  ASSERT_EQ(t.vocabulary_size(), 6u);  // aa, aa bb, aa cc, bb, bb bb, cc
  const double i2 = std::log(4.0 / 3.0) + 1, i1 = std::log(2.0) + 1;
  const auto x = t.transform({"bb bb", "zz qq"});
  const double n = std::sqrt(4 * i2 * i2 + i1 * i1);
  const auto expect = torch::tensor({{0.0, 0.0, 0.0, 2 * i2 / n, i1 / n, 0.0}, {0.0, 0.0, 0.0, 0.0, 0.0, 0.0}}, torch::kDouble);
  EXPECT_LT((x - expect).abs().max().item<double>(), 1e-15);
  Tfidf pruned(2, 2);
  pruned.fit({"aa bb", "aa cc", "bb bb"});
  EXPECT_EQ(pruned.vocabulary_size(), 2u);  // aa, bb
  EXPECT_THROW(Tfidf(1, 2).fit({"aa", "bb"}), std::runtime_error);
}

TEST(ProbeLabelled, ReadsAndNamesBadLines) {
  const auto ok = write_file("ok.tsv", "# comment\nfood\tsoup is hot\r\n\nlaw\tthe\tcourt\n");
  const auto l = read_labelled_tsv(ok.string());
  EXPECT_EQ(l.labels, (std::vector<std::string>{"food", "law"}));
  EXPECT_EQ(l.texts, (std::vector<std::string>{"soup is hot", "the\tcourt"}));
  EXPECT_EQ(l.lines, (std::vector<int64_t>{2, 4}));
  const auto bad = write_file("bad.tsv", "food\tsoup\nno tab here\n");
  EXPECT_EQ(error_of([&] { read_labelled_tsv(bad.string()); }), bad.string() + ":2: expected label<TAB>sentence");
  EXPECT_NE(error_of([&] { read_labelled_tsv("/no/such.tsv"); }).find("/no/such.tsv"), std::string::npos);
}

TEST(ProbeLabelled, ClassIds) {
  const auto train = read_labelled_tsv(write_file("tr.tsv", "law\ta\nfood\tb\nlaw\tc\n").string());
  const auto test = read_labelled_tsv(write_file("te.tsv", "food\td\nlaw\te\n").string());
  const auto ids = class_ids(train, test);
  EXPECT_EQ(ids.names, (std::vector<std::string>{"food", "law"}));
  EXPECT_EQ(ids.train, (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(ids.test, (std::vector<int64_t>{0, 1}));
  const auto unknown = read_labelled_tsv(write_file("unk.tsv", "food\td\n\nmusic\te\n").string());
  EXPECT_NE(error_of([&] { class_ids(train, unknown); }).find("unk.tsv:3: label 'music'"), std::string::npos);
  const auto one = read_labelled_tsv(write_file("one.tsv", "law\ta\nlaw\tb\n").string());
  EXPECT_NE(error_of([&] { class_ids(one, test); }).find("one.tsv' has 1 class"), std::string::npos);
}
