#include "eval/probe.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace jepa::eval {

namespace {

torch::Tensor as_matrix(const torch::Tensor& x, const char* what) {
  if (!x.defined() || x.dim() != 2 || x.size(0) < 1 || x.size(1) < 1)
    throw std::invalid_argument(std::string("probe: ") + what + " must be a non-empty N x D matrix");
  if (!x.is_floating_point()) throw std::invalid_argument(std::string("probe: ") + what + " must be floating point");
  return x.to(torch::kCPU, torch::kDouble).contiguous();
}

torch::Tensor labels_tensor(const std::vector<int64_t>& y, int64_t rows, int64_t classes, const char* what) {
  if (static_cast<int64_t>(y.size()) != rows)
    throw std::invalid_argument(std::string("probe: ") + what + " has " + std::to_string(y.size()) + " labels for " +
                                std::to_string(rows) + " rows");
  for (const auto c : y)
    if (c < 0 || c >= classes)
      throw std::invalid_argument(std::string("probe: ") + what + " label " + std::to_string(c) + " outside [0, " +
                                  std::to_string(classes) + ")");
  return torch::tensor(y, torch::kLong);
}

std::vector<int64_t> to_vector(const torch::Tensor& t) {
  const auto c = t.to(torch::kCPU, torch::kLong).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

}  // namespace

torch::Tensor LinearProbe::logits(const torch::Tensor& x) const {
  const auto z = (as_matrix(x, "features") - mean) / std;
  return torch::addmm(bias, z, weight.t());
}

std::vector<int64_t> LinearProbe::predict(const torch::Tensor& x) const { return to_vector(logits(x).argmax(1)); }

LinearProbe fit_linear_probe(const torch::Tensor& x_in, const std::vector<int64_t>& y_in, int64_t classes,
                             const ProbeOptions& opt) {
  if (classes < 2) throw std::invalid_argument("probe: needs at least 2 classes");
  if (opt.l2 < 0 || opt.iterations < 1) throw std::invalid_argument("probe: l2 must be >= 0 and iterations >= 1");
  const auto x = as_matrix(x_in, "training features");
  const auto y = labels_tensor(y_in, x.size(0), classes, "training set");
  const auto n = static_cast<double>(x.size(0));

  LinearProbe p;
  if (opt.standardize) {
    p.mean = x.mean(0);
    p.std = x.std(0, /*unbiased=*/false);
    p.std = torch::where(p.std > 1e-12, p.std, torch::ones_like(p.std));  // a constant feature becomes 0
  } else {
    p.mean = torch::zeros({x.size(1)}, torch::kDouble);
    p.std = torch::ones({x.size(1)}, torch::kDouble);
  }
  const auto z = (x - p.mean) / p.std;

  torch::NoGradGuard outer;  // gradients only inside the closure
  auto w = torch::zeros({classes, x.size(1)}, torch::kDouble).requires_grad_(true);
  auto b = torch::zeros({classes}, torch::kDouble).requires_grad_(true);
  // Mean form of sum CE + l2/2 ||W||^2 (same minimiser, gradients of order 1 whatever N is).
  const double penalty = opt.l2 / (2.0 * n);
  torch::optim::LBFGS lbfgs({w, b}, torch::optim::LBFGSOptions(1.0)
                                        .max_iter(opt.iterations)
                                        .history_size(20)
                                        .tolerance_grad(1e-10)
                                        .tolerance_change(1e-14)
                                        .line_search_fn("strong_wolfe"));
  int64_t evals = 0;
  auto objective = [&] {
    return torch::nn::functional::cross_entropy(torch::addmm(b, z, w.t()), y) + penalty * w.pow(2).sum();
  };
  lbfgs.step([&] {
    torch::AutoGradMode grad(true);
    lbfgs.zero_grad();
    auto loss = objective();
    loss.backward();
    ++evals;
    return loss;
  });
  p.weight = w.detach();
  p.bias = b.detach();
  p.final_loss = objective().item<double>();
  p.evaluations = evals;
  return p;
}

std::vector<int64_t> knn_predict(const torch::Tensor& train_in, const std::vector<int64_t>& train_y,
                                 const torch::Tensor& query_in, int64_t classes, int64_t k) {
  torch::NoGradGuard no_grad;
  const auto train = as_matrix(train_in, "training features");
  const auto query = as_matrix(query_in, "query features");
  labels_tensor(train_y, train.size(0), classes, "training set");
  if (train.size(1) != query.size(1)) throw std::invalid_argument("probe: training and query features differ in width");
  if (k < 1) throw std::invalid_argument("probe: k must be >= 1");
  k = std::min(k, train.size(0));
  namespace F = torch::nn::functional;
  const auto opts = F::NormalizeFuncOptions().dim(1).eps(1e-12);
  const auto sim = F::normalize(query, opts).matmul(F::normalize(train, opts).t());
  // topk over a stable descending sort: equal similarities keep training-set order.
  const auto order = std::get<1>(sim.sort(/*stable=*/true, /*dim=*/1, /*descending=*/true)).narrow(1, 0, k).contiguous();
  const auto* idx = order.data_ptr<int64_t>();
  std::vector<int64_t> pred(static_cast<size_t>(query.size(0)));
  std::vector<int64_t> votes(static_cast<size_t>(classes));
  for (int64_t q = 0; q < query.size(0); ++q) {
    std::fill(votes.begin(), votes.end(), 0);
    for (int64_t j = 0; j < k; ++j) votes[static_cast<size_t>(train_y[static_cast<size_t>(idx[q * k + j])])]++;
    const int64_t best = *std::max_element(votes.begin(), votes.end());
    for (int64_t j = 0; j < k; ++j) {  // ties: the class of the best-ranked neighbour among the tied classes
      const auto c = train_y[static_cast<size_t>(idx[q * k + j])];
      if (votes[static_cast<size_t>(c)] == best) {
        pred[static_cast<size_t>(q)] = c;
        break;
      }
    }
  }
  return pred;
}

double accuracy(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred) {
  if (truth.size() != pred.size() || truth.empty()) throw std::invalid_argument("accuracy: sizes differ or are 0");
  size_t hits = 0;
  for (size_t i = 0; i < truth.size(); ++i) hits += truth[i] == pred[i];
  return static_cast<double>(hits) / static_cast<double>(truth.size());
}

double macro_f1(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred, int64_t classes) {
  if (truth.size() != pred.size() || truth.empty()) throw std::invalid_argument("macro_f1: sizes differ or are 0");
  std::vector<int64_t> tp(static_cast<size_t>(classes)), fp(tp), fn(tp);
  for (size_t i = 0; i < truth.size(); ++i) {
    const auto t = truth[i], p = pred[i];
    if (t < 0 || t >= classes || p < 0 || p >= classes) throw std::invalid_argument("macro_f1: class id out of range");
    if (t == p) {
      tp[static_cast<size_t>(t)]++;
    } else {
      fn[static_cast<size_t>(t)]++;
      fp[static_cast<size_t>(p)]++;
    }
  }
  double sum = 0;
  int64_t present = 0;
  for (size_t c = 0; c < tp.size(); ++c) {
    const auto denom = 2 * tp[c] + fp[c] + fn[c];
    if (denom == 0) continue;  // in neither truth nor predictions
    sum += 2.0 * static_cast<double>(tp[c]) / static_cast<double>(denom);
    ++present;
  }
  return sum / static_cast<double>(present);
}

ProbeResult run_probe(const torch::Tensor& train_x, const std::vector<int64_t>& train_y, const torch::Tensor& test_x,
                      const std::vector<int64_t>& test_y, int64_t classes, const ProbeOptions& opt) {
  if (train_x.dim() != 2 || test_x.dim() != 2 || train_x.size(1) != test_x.size(1))
    throw std::invalid_argument("probe: training and test features must be matrices of the same width");
  labels_tensor(test_y, test_x.size(0), classes, "test set");
  const auto probe = fit_linear_probe(train_x, train_y, classes, opt);
  const auto pred = probe.predict(test_x);
  const auto knn = knn_predict(train_x, train_y, test_x, classes, opt.knn_k);
  std::map<int64_t, int64_t> counts;
  for (const auto c : test_y) counts[c]++;
  int64_t majority = 0;
  for (const auto& [c, n] : counts) majority = std::max(majority, n);

  ProbeResult r;
  r.classes = classes;
  r.train_size = train_x.size(0);
  r.test_size = test_x.size(0);
  r.dim = train_x.size(1);
  r.knn_k = std::min(opt.knn_k, train_x.size(0));
  r.evaluations = probe.evaluations;
  r.linear_accuracy = accuracy(test_y, pred);
  r.macro_f1 = macro_f1(test_y, pred, classes);
  r.knn_accuracy = accuracy(test_y, knn);
  r.knn_macro_f1 = macro_f1(test_y, knn, classes);
  r.train_accuracy = accuracy(train_y, probe.predict(train_x));
  r.final_loss = probe.final_loss;
  r.chance = 1.0 / static_cast<double>(classes);
  r.majority_baseline = static_cast<double>(majority) / static_cast<double>(test_x.size(0));
  return r;
}

}  // namespace jepa::eval
