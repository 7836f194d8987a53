#pragma once
// Frozen-feature evaluation (docs/evaluation.md, "The topic probe"): one fixed recipe applied to any N x D feature
// matrix — encoder embeddings and TF-IDF vectors alike — so every row of a comparison is scored by the same code.
//   * linear probe: multinomial logistic regression with a bias, features standardised with the training set's
//     mean and (population) std (the default; jepa_eval turns it off for TF-IDF rows, see ProbeOptions), L2 on the
//     weights, full-batch L-BFGS (strong Wolfe) from zero weights for a fixed number of iterations, in float64.
//     Nothing is random: the same inputs give the same outputs, bit for bit.
//   * k-NN: cosine similarity of the raw (unstandardised) features, majority vote of the k most similar training
//     rows; a tie goes to the tied class whose best neighbour ranks first.
//   * accuracy, macro-F1 (the mean of the per-class F1 over the classes present in the truth or the predictions,
//     as scikit-learn's f1_score(average="macro")).
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace jepa::eval {

struct ProbeOptions {
  // Objective: sum over training rows of the cross-entropy + l2 / 2 * ||W||^2 (bias not penalised): the objective
  // of scikit-learn's LogisticRegression(C = 1 / l2) on the same standardised features.
  double l2 = 1.0;
  int64_t iterations = 300;  // L-BFGS iterations (fewer only when it has converged: gradient or change ~ 0)
  int64_t knn_k = 10;
  // Standardise each feature with the training mean and std before the regression. Right for dense embeddings
  // (mean-pooled outputs have a large shared offset and uneven scales); wrong for sparse, row-normalised TF-IDF,
  // where it inflates rare n-grams into memorising features (docs/evaluation.md measures both).
  bool standardize = true;
};

// A fitted linear probe. Applies itself to raw features (standardises them with the training mean/std).
struct LinearProbe {
  torch::Tensor mean, std, weight, bias;  // [D], [D], [C, D], [C] (float64)
  double final_loss = 0;                   // mean cross-entropy + penalty / N at the end of training
  int64_t evaluations = 0;              // objective evaluations L-BFGS used (including line-search steps)
  torch::Tensor logits(const torch::Tensor& x) const;
  std::vector<int64_t> predict(const torch::Tensor& x) const;
};

// x: [N, D] (any floating type), y: class ids in [0, classes). Throws std::invalid_argument on bad shapes/ids.
LinearProbe fit_linear_probe(const torch::Tensor& x, const std::vector<int64_t>& y, int64_t classes,
                             const ProbeOptions& opt = {});

// Cosine k-NN predictions for the rows of `query` from the labelled rows of `train` (k is capped at N).
std::vector<int64_t> knn_predict(const torch::Tensor& train, const std::vector<int64_t>& train_y,
                                 const torch::Tensor& query, int64_t classes, int64_t k);

double accuracy(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred);
double macro_f1(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred, int64_t classes);

struct ProbeResult {
  int64_t classes = 0, train_size = 0, test_size = 0, dim = 0, knn_k = 0, evaluations = 0;
  double linear_accuracy = 0, macro_f1 = 0, knn_accuracy = 0, knn_macro_f1 = 0, train_accuracy = 0, final_loss = 0;
  double chance = 0;             // 1 / classes
  double majority_baseline = 0;  // share of the test set's largest class
};

// The whole evaluation: fit on (train_x, train_y), score on (test_x, test_y).
ProbeResult run_probe(const torch::Tensor& train_x, const std::vector<int64_t>& train_y, const torch::Tensor& test_x,
                      const std::vector<int64_t>& test_y, int64_t classes, const ProbeOptions& opt = {});

}  // namespace jepa::eval
