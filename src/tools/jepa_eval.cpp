// jepa_eval: scores a checkpoint on a held-out corpus and a labelled topic split (docs/evaluation.md).
//   jepa_eval --checkpoint DIR --data HELD_OUT.h5 [--batches N] [--batch-size B] [--seed S] [--which target|context]
//             [--labelled FILE.tsv --vocab VOCAB.txt] [--device auto|cpu|cuda] [--threads N] [--out metrics.json]
//   jepa_eval --checkpoint DIR [--at-init] | --config FILE.yaml [a.b=v ...]
//             [--data HELD_OUT.h5] --probe-train TRAIN.tsv --probe-test TEST.tsv --vocab VOCAB.txt [probe options]
//   jepa_eval --probe-features tfidf --probe-train TRAIN.tsv --probe-test TEST.tsv [probe options]
//   jepa_eval --task regex --checkpoint DIR --test TEST.jsonl [--data TRAIN.h5] [--max-new N]   (LLM-JEPA, §9)
// Prints one JSON object on stdout (and writes it to --out): the masked-position JEPA loss on the held-out split
// (masks from the training masker, model in eval mode), collapse stats of the mean-pooled embeddings of the split,
// with --labelled a leave-one-out 1-nearest-neighbour (cosine) retrieval accuracy next to its chance baselines, and
// with --probe-* the topic probe (src/eval/probe.hpp: logistic regression and cosine k-NN on frozen features) of the
// encoder's mean-pooled embeddings, of the model its run started from (--at-init, --config) or of TF-IDF vectors.
// Exit codes: 0 ok, 1 runtime error (missing/corrupt checkpoint or data; one line on stderr), 2 bad usage.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tools/cli_args.hpp"
#include "config/compose.hpp"
#include "config/config.hpp"
#include "data/batch.hpp"
#include "data/corpus.hpp"
#include "data/masker.hpp"
#include "data/tokenizer.hpp"
#include "data/bpe.hpp"
#include "data/paired_batch.hpp"
#include "eval/generate.hpp"
#include "eval/labelled.hpp"
#include "eval/probe.hpp"
#include "eval/tfidf.hpp"
#include "model/jepa.hpp"
#include "model/safetensors.hpp"
#include "model/llama_decoder.hpp"
#include "objective/objective.hpp"
#include "task/regex_ast.hpp"
#include "task/regex_equiv.hpp"
#include "train/checkpoint.hpp"
#include "train/collapse.hpp"
#include "train/runtime.hpp"

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

constexpr const char* kUsage =
    "usage: jepa_eval --checkpoint DIR --data HELD_OUT.h5 [options]\n"
    "       jepa_eval --checkpoint DIR [--at-init] | --config FILE.yaml [a.b=v ...]\n"
    "                 [--data HELD_OUT.h5] --probe-train TRAIN.tsv --probe-test TEST.tsv --vocab VOCAB.txt [options]\n"
    "       jepa_eval --probe-features tfidf --probe-train TRAIN.tsv --probe-test TEST.tsv [options]\n"
    "       jepa_eval --task regex --checkpoint DIR --test TEST.jsonl [--data TRAIN.h5] [--max-new N] [options]\n"
    "\n"
    "Evaluates a jepa_dist checkpoint on a held-out corpus and/or a labelled topic split; prints one JSON object.\n"
    "\n"
    "  --checkpoint DIR     a checkpoint directory (step_XXXXXXX), a checkpoints/ dir holding `latest`, or a run dir\n"
    "  --at-init            evaluate the model the checkpoint's run started from (step 0: random init from its\n"
    "                       config and train.seed, or a pretrained model dir's weights), not the checkpoint's weights\n"
    "  --config FILE.yaml   no checkpoint: the step-0 model of this config, composed as jepa_dist composes it\n"
    "                       (overrides a.b=v / group=option may follow)\n"
    "  --data FILE.h5       held-out corpus made by jepa_prep with the training vocabulary (optional with --probe-*)\n"
    "  --batches N          evaluate only the first N batches of the split (default: all documents)\n"
    "  --batch-size B       sequences per forward pass (default 32)\n"
    "  --seed S             seed of the span masks (default 42; masks depend only on seed and document index)\n"
    "  --which W            target|context: encoder whose mean-pooled embeddings are scored (default target)\n"
    "  --labelled FILE.tsv  label<TAB>sentence lines: leave-one-out 1-NN retrieval accuracy (needs --vocab)\n"
    "  --vocab VOCAB.txt    WordPiece vocabulary used to tokenize --labelled and --probe-* (the corpus's vocabulary)\n"
    "  --probe-train FILE   label<TAB>text lines the probe is fitted on (datasets/build_topics.sh makes a split)\n"
    "  --probe-test FILE    label<TAB>text lines it is scored on; adds `probe` (linear and k-NN accuracy, macro-F1)\n"
    "  --probe-features F   encoder (mean-pooled embeddings of --which, default) | tfidf (word 1-2-grams, no model)\n"
    "  --probe-standardize S  auto|yes|no: standardise features before the regression (auto: yes for encoder\n"
    "                       embeddings, no for TF-IDF)\n"
    "  --probe-l2 X         L2 penalty of the logistic regression, sum-of-losses scale (default 1 = sklearn C=1)\n"
    "  --probe-iters N      L-BFGS iterations of the logistic regression (default 300)\n"
    "  --probe-k K          neighbours of the cosine k-NN classifier (default 10)\n"
    "  --task regex         an LLM-JEPA decoder checkpoint (train.objective=llm_jepa) on paired NL -> regex examples:\n"
    "                       greedy generation from each description; exact-match accuracy and semantic accuracy\n"
    "                       (the generated regex accepts the same language: src/task/regex_equiv.hpp), and the\n"
    "                       top singular values of Enc(text) - Enc(code) over the test set (the paper's diagnostic)\n"
    "  --test FILE.jsonl    --task regex: the test examples ({text, code} or chat messages; jepa_regex_gen writes them)\n"
    "  --max-new N          --task regex: most tokens generated per example (default 96)\n"
    "  --device D           auto|cpu|cuda|cuda:N (default auto)\n"
    "  --threads N          intra-op threads (default: all cores)\n"
    "  --out FILE.json      also write the JSON there\n"
    "  -h, --help           this help\n";

using jepa::tools::UsageError;

struct Args {
  std::string checkpoint, config, data, labelled, vocab, out, which = "target", device = "auto";
  std::string task, test;
  int64_t max_new = 96;
  std::vector<std::string> overrides;
  bool at_init = false;
  std::string probe_train, probe_test, probe_features = "encoder", probe_standardize = "auto";
  jepa::eval::ProbeOptions probe;
  int64_t batches = -1, batch_size = 32, seed = 42, threads = 0;
};

int64_t parse_int(const std::string& flag, const std::string& v, int64_t min) {
  const auto x = jepa::tools::parse_int64(v);
  if (!x || *x < min) throw UsageError(flag + " expects an integer >= " + std::to_string(min) + ", got '" + v + "'");
  return *x;
}

double parse_non_negative(const std::string& flag, const std::string& v) {
  size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || !std::isfinite(x) || x < 0)
    throw UsageError(flag + " expects a number >= 0, got '" + v + "'");
  return x;
}

Args parse_args(int argc, char** argv) {
  Args a;
  jepa::tools::ArgWalker args(argc, argv);
  while (args.next()) {
    const std::string flag = args.flag();
    if (flag == "-h" || flag == "--help") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (flag.rfind("--", 0) != 0) {
      if (flag.find('=') == std::string::npos && flag.rfind('~', 0) != 0) throw UsageError("unexpected argument '" + flag + "'");
      a.overrides.push_back(flag);  // a config override: only with --config (checked below)
      continue;
    }
    if (flag == "--at-init") {
      a.at_init = true;
      continue;
    }
    const std::string value = args.value("");
    if (flag == "--checkpoint") a.checkpoint = value;
    else if (flag == "--config") a.config = value;
    else if (flag == "--probe-train") a.probe_train = value;
    else if (flag == "--probe-test") a.probe_test = value;
    else if (flag == "--probe-features") a.probe_features = value;
    else if (flag == "--probe-standardize") a.probe_standardize = value;
    else if (flag == "--probe-l2") a.probe.l2 = parse_non_negative(flag, value);
    else if (flag == "--probe-iters") a.probe.iterations = parse_int(flag, value, 1);
    else if (flag == "--probe-k") a.probe.knn_k = parse_int(flag, value, 1);
    else if (flag == "--data") a.data = value;
    else if (flag == "--task") a.task = value;
    else if (flag == "--test") a.test = value;
    else if (flag == "--max-new") a.max_new = parse_int(flag, value, 1);
    else if (flag == "--labelled") a.labelled = value;
    else if (flag == "--vocab") a.vocab = value;
    else if (flag == "--out") a.out = value;
    else if (flag == "--which") a.which = value;
    else if (flag == "--device") a.device = value;
    else if (flag == "--batches") a.batches = parse_int(flag, value, 1);
    else if (flag == "--batch-size") a.batch_size = parse_int(flag, value, 1);
    else if (flag == "--seed") a.seed = parse_int(flag, value, 0);
    else if (flag == "--threads") a.threads = parse_int(flag, value, 0);
    else throw UsageError("unknown option " + flag);
  }
  if (!a.task.empty()) {
    if (a.task != "regex") throw UsageError("--task must be regex, got '" + a.task + "'");
    if (a.checkpoint.empty()) throw UsageError("--task regex needs --checkpoint");
    if (a.test.empty()) throw UsageError("--task regex needs --test FILE.jsonl");
    if (!a.config.empty() || !a.probe_train.empty() || !a.labelled.empty() || !a.overrides.empty())
      throw UsageError("--task regex takes --checkpoint, --test, --data, --max-new, --batch-size, --device, --threads, --out");
    return a;
  }
  if (!a.test.empty()) throw UsageError("--test goes with --task regex");
  const bool probe = !a.probe_train.empty() || !a.probe_test.empty();
  if (probe && (a.probe_train.empty() || a.probe_test.empty()))
    throw UsageError("--probe-train and --probe-test go together");
  if (a.probe_features != "encoder" && a.probe_features != "tfidf")
    throw UsageError("--probe-features must be encoder or tfidf, got '" + a.probe_features + "'");
  if (a.probe_standardize != "auto" && a.probe_standardize != "yes" && a.probe_standardize != "no")
    throw UsageError("--probe-standardize must be auto, yes or no, got '" + a.probe_standardize + "'");
  a.probe.standardize = a.probe_standardize == "auto" ? a.probe_features != "tfidf" : a.probe_standardize == "yes";
  if (a.probe_features == "tfidf") {
    if (!probe) throw UsageError("--probe-features tfidf needs --probe-train and --probe-test");
    for (const auto& [set, flag] : {std::pair{!a.checkpoint.empty(), "--checkpoint"}, {!a.config.empty(), "--config"},
                                    {!a.data.empty(), "--data"}, {!a.labelled.empty(), "--labelled"}, {a.at_init, "--at-init"}})
      if (set) throw UsageError(std::string("--probe-features tfidf evaluates no model: drop ") + flag);
    if (!a.overrides.empty()) throw UsageError("unexpected argument '" + a.overrides.front() + "'");
    return a;
  }
  if (!a.checkpoint.empty() && !a.config.empty()) throw UsageError("--checkpoint and --config exclude each other");
  if (a.checkpoint.empty() && a.config.empty()) throw UsageError("--checkpoint is required (or --config)");
  if (!a.overrides.empty() && a.config.empty())
    throw UsageError("unexpected argument '" + a.overrides.front() + "' (config overrides go with --config)");
  if (a.at_init && a.checkpoint.empty()) throw UsageError("--at-init goes with --checkpoint (--config always evaluates the step-0 model)");
  if (a.data.empty() && !probe) throw UsageError("--data is required (unless --probe-train/--probe-test are given)");
  if (a.which != "target" && a.which != "context") throw UsageError("--which must be target or context, got '" + a.which + "'");
  if (!a.labelled.empty() && a.vocab.empty()) throw UsageError("--labelled needs --vocab (the vocab.txt the corpus was made with)");
  if (probe && a.vocab.empty()) throw UsageError("--probe-train needs --vocab (the vocab.txt the model was trained with)");
  return a;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + p.string() + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json stats_json(const jepa::train::CollapseStats& s) {
  return {{"n", s.n}, {"emb_std_mean", s.std_mean}, {"emb_std_min", s.std_min}, {"effective_rank", s.effective_rank},
          {"mean_cosine", s.mean_cosine}};
}

struct Evaluator {
  jepa::model::JepaImpl& model;
  torch::Device device;
  bool use_target;

  // Mean-pooled embeddings [B, D] (CPU float) of already collated sequences.
  torch::Tensor embed(const jepa::data::Batch& b) {
    const auto ids = b.input_ids.to(device), mask = b.attention_mask.to(device);
    auto& enc = use_target ? *model.target_encoder : *model.context_encoder;
    return jepa::train::mean_pool(enc.forward(ids, mask), mask).to(torch::kCPU, torch::kFloat);
  }
};

// Leave-one-out 1-NN with cosine similarity; baselines: the majority class share, and the expected accuracy of a
// uniformly random neighbour, sum_c n_c (n_c - 1) / (N (N - 1)).
json retrieval(const torch::Tensor& emb, const std::vector<std::string>& labels) {
  const auto N = static_cast<int64_t>(labels.size());
  std::map<std::string, int64_t> counts, index;
  for (const auto& l : labels) counts[l]++;
  for (const auto& [l, c] : counts) index.emplace(l, static_cast<int64_t>(index.size()));
  std::vector<int64_t> y;
  for (const auto& l : labels) y.push_back(index.at(l));
  const auto u = torch::nn::functional::normalize(emb.to(torch::kDouble), torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-12));
  auto sim = u.matmul(u.t());
  sim.fill_diagonal_(-std::numeric_limits<double>::infinity());
  const auto nn = sim.argmax(1);
  int64_t hits = 0;
  for (int64_t i = 0; i < N; ++i) hits += y[static_cast<size_t>(nn[i].item<int64_t>())] == y[static_cast<size_t>(i)];
  int64_t majority = 0;
  double same_pairs = 0;
  for (const auto& [l, c] : counts) {
    majority = std::max(majority, c);
    same_pairs += static_cast<double>(c) * static_cast<double>(c - 1);
  }
  return {{"n", N},
          {"classes", static_cast<int64_t>(counts.size())},
          {"knn1_accuracy", static_cast<double>(hits) / static_cast<double>(N)},
          {"random_neighbour_baseline", same_pairs / (static_cast<double>(N) * static_cast<double>(N - 1))},
          {"majority_baseline", static_cast<double>(majority) / static_cast<double>(N)}};
}

// The model to evaluate: a checkpoint's weights, or the step-0 model of a config (--at-init, --config).
struct Loaded {
  jepa::config::Config cfg;
  jepa::model::Jepa model{nullptr};
  std::string ckpt;      // empty with --config
  int64_t step = -1;
  int64_t vocab_size = -1;
};

// `vocab_size` is the corpus's or the tokenizer's (-1: none given); a checkpoint's embedding must agree with it.
Loaded load_model(const Args& args, int64_t vocab_size, const std::string& vocab_source) {
  Loaded m;
  std::map<std::string, torch::Tensor> weights;
  if (!args.config.empty()) {
    try {
      m.cfg = jepa::config::from_yaml(jepa::config::compose(args.config, args.overrides));
    } catch (const jepa::config::ConfigError& e) {
      throw UsageError(e.what());
    }
  } else {
    m.ckpt = jepa::train::find_checkpoint(args.checkpoint);
    const fs::path cdir(m.ckpt);
    for (const char* f : {"model.safetensors", "config.yaml"})
      if (!fs::exists(cdir / f)) throw std::runtime_error("checkpoint '" + m.ckpt + "': missing " + f);
    try {
      m.cfg = jepa::config::from_yaml(YAML::LoadFile((cdir / "config.yaml").string()));
    } catch (const std::exception& e) {
      throw std::runtime_error("checkpoint '" + m.ckpt + "': config.yaml: " + e.what());
    }
    if (fs::exists(cdir / "trainer_state.json")) {
      try {
        m.step = nlohmann::json::parse(read_file(cdir / "trainer_state.json")).at("step").get<int64_t>();
      } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("checkpoint '" + m.ckpt + "': trainer_state.json: " + e.what());
      }
    }
    if (!args.at_init) {
      weights = jepa::model::load_safetensors((cdir / "model.safetensors").string());
      // The token embedding: tiny's name, else bert's / distilbert's, else llama's.
      auto it = weights.find("context_encoder.emb.weight");
      if (it == weights.end()) it = weights.find("context_encoder.embeddings.word_embeddings.weight");
      if (it == weights.end()) it = weights.find("context_encoder.model.embed_tokens.weight");  // llama
      if (it != weights.end()) {
        if (vocab_size >= 0 && vocab_size != it->second.size(0))
          throw std::runtime_error(vocab_source + " has vocab_size " + std::to_string(vocab_size) +
                                   " but the checkpoint's embedding has " + std::to_string(it->second.size(0)) + " rows");
        vocab_size = it->second.size(0);
      }
    }
  }
  if (vocab_size < 0) throw std::runtime_error("no vocabulary size: pass --data or --vocab");
  m.vocab_size = vocab_size;
  if (weights.empty()) {  // the trainer's step-0 model: seeded like Trainer::build_model, then built
    torch::manual_seed(static_cast<uint64_t>(m.cfg.train.seed));
    m.model = jepa::model::Jepa(m.cfg.model, m.cfg.jepa, vocab_size);
  } else {
    m.model = jepa::model::Jepa(m.cfg.model, m.cfg.jepa, vocab_size);
    try {
      m.model->load_state(weights);
    } catch (const std::exception& e) {
      throw std::runtime_error("checkpoint '" + m.ckpt + "': " + e.what());
    }
  }
  return m;
}

// Mean-pooled embeddings [N, D] of raw texts, in their order. by_length: batch the texts in order of token count
// (less padding; the rows come back in input order), for large sets.
torch::Tensor embed_texts(Evaluator& ev, const jepa::data::WordPieceTokenizer& tok, const std::vector<std::string>& texts,
                          int64_t max_length, int64_t batch_size, bool by_length) {
  std::vector<std::vector<int32_t>> ids;
  for (const auto& t : texts) ids.push_back(tok.encode(t, static_cast<size_t>(max_length)));
  std::vector<size_t> order(ids.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (by_length)
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a].size() < ids[b].size(); });
  std::vector<torch::Tensor> emb;
  for (size_t s = 0; s < order.size(); s += static_cast<size_t>(batch_size)) {
    std::vector<std::vector<int32_t>> seqs;
    std::vector<std::vector<uint8_t>> none;
    for (size_t i = s; i < std::min(order.size(), s + static_cast<size_t>(batch_size)); ++i) {
      seqs.push_back(ids[order[i]]);
      none.emplace_back(seqs.back().size(), 0);
    }
    emb.push_back(ev.embed(jepa::data::collate(seqs, none, tok.special())));
  }
  auto sorted = torch::cat(emb);
  if (!by_length) return sorted;
  std::vector<int64_t> rows(order.begin(), order.end());
  return torch::empty_like(sorted).index_copy_(0, torch::tensor(rows, torch::kLong), sorted);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The probe files, read and checked before any model is built (a bad line fails fast).
struct ProbeSet {
  jepa::eval::LabelledTexts train, test;
  jepa::eval::ClassIds ids;
};
ProbeSet read_probe_set(const Args& args) {
  ProbeSet s{jepa::eval::read_labelled_tsv(args.probe_train), jepa::eval::read_labelled_tsv(args.probe_test), {}};
  s.ids = jepa::eval::class_ids(s.train, s.test);
  return s;
}

// The topic probe (src/eval/probe.hpp); `features(train_texts, test_texts)` returns their feature matrices (rows in
// file order).
template <class Features>
json probe(const Args& args, const ProbeSet& set, const std::string& kind, Features&& features, json extra) {
  const auto& [train, test, ids] = set;
  auto t = std::chrono::steady_clock::now();
  const auto [train_x, test_x] = features(train.texts, test.texts);
  const double feature_s = seconds_since(t);
  t = std::chrono::steady_clock::now();
  const auto r = jepa::eval::run_probe(train_x, ids.train, test_x, ids.test, static_cast<int64_t>(ids.names.size()), args.probe);
  json p = {{"train", args.probe_train}, {"test", args.probe_test}, {"features", kind}};
  p.update(extra);
  p.update(json{{"classes", r.classes}, {"train_size", r.train_size}, {"test_size", r.test_size}, {"dim", r.dim},
                {"linear_accuracy", r.linear_accuracy}, {"macro_f1", r.macro_f1}, {"knn_accuracy", r.knn_accuracy},
                {"knn_macro_f1", r.knn_macro_f1}, {"knn_k", r.knn_k}, {"train_accuracy", r.train_accuracy},
                {"chance", r.chance}, {"majority_baseline", r.majority_baseline},
                {"standardize", args.probe.standardize}, {"l2", args.probe.l2}, {"iterations", args.probe.iterations},
                {"evaluations", r.evaluations}, {"final_loss", r.final_loss}});
  p["labels"] = ids.names;
  p["seconds_features"] = feature_s;
  p["seconds_probe"] = seconds_since(t);
  return p;
}

json evaluate_tfidf(const Args& args) {
  const auto t0 = std::chrono::steady_clock::now();
  constexpr int64_t kMaxN = 2, kMinDf = 2;
  const auto set = read_probe_set(args);
  json out;
  out["probe"] = probe(args, set, "tfidf", [&](const std::vector<std::string>& train, const std::vector<std::string>& test) {
    jepa::eval::Tfidf tfidf(kMaxN, kMinDf);
    tfidf.fit(train);
    return std::pair{tfidf.transform(train), tfidf.transform(test)};
  }, json{{"tfidf", {{"ngrams", json::array({1, kMaxN})}, {"min_df", kMinDf}}}});
  out["seconds"] = seconds_since(t0);
  return out;
}

json evaluate(const Args& args) {
  if (args.probe_features == "tfidf") return evaluate_tfidf(args);
  const auto t0 = std::chrono::steady_clock::now();
  if (!args.checkpoint.empty()) jepa::train::find_checkpoint(args.checkpoint);  // a missing checkpoint is named first
  std::optional<ProbeSet> probe_set;
  if (!args.probe_train.empty()) probe_set = read_probe_set(args);

  std::shared_ptr<jepa::data::CorpusReader> corpus;
  std::optional<jepa::data::WordPieceTokenizer> tok;
  int64_t vocab_size = -1;
  std::string vocab_source;
  if (!args.data.empty()) {
    corpus = std::make_shared<jepa::data::CorpusReader>(args.data);
    if (!args.vocab.empty()) corpus->check_vocab_file(args.vocab, "--vocab");
    vocab_size = corpus->meta().vocab_size;
    vocab_source = "held-out corpus '" + args.data + "'";
  } else {
    tok = jepa::data::WordPieceTokenizer::from_vocab_file(args.vocab);
    vocab_size = static_cast<int64_t>(tok->vocab_size());
    vocab_source = "vocab '" + args.vocab + "'";
  }
  auto loaded = load_model(args, vocab_size, vocab_source);
  if (loaded.model->is_decoder())
    throw std::runtime_error("'" + (loaded.ckpt.empty() ? args.config : loaded.ckpt) + "' is an LLM-JEPA decoder "
                             "(train.objective=llm_jepa): evaluate it with --task regex --test FILE.jsonl");
  const auto& cfg = loaded.cfg;
  auto& model = loaded.model;
  vocab_size = loaded.vocab_size;

  const auto device = jepa::train::pick_device(args.device);
  model->to(device);
  model->train(false);  // dropout off everywhere
  torch::NoGradGuard no_grad;
  Evaluator ev{*model, device, args.which == "target"};
  const int64_t max_length = std::min(cfg.data.max_length, cfg.model.max_positions);

  json out;
  if (loaded.ckpt.empty()) out["checkpoint"] = nullptr;
  else out["checkpoint"] = loaded.ckpt;
  out["step"] = args.at_init || !args.config.empty() ? 0 : loaded.step;
  if (!args.config.empty()) out["config"] = args.config;
  if (args.at_init || !args.config.empty()) {
    out["weights"] = "init";
    out["train_seed"] = cfg.train.seed;
  }
  if (corpus) {
    // The masked loss is the training objective's: each term's mean over the batch, weighted and summed.
    const auto objective = jepa::objective::make_objective(cfg);

    // Held-out split: documents in corpus order, in batches of B (the last one may be short); masks from the
    // training masker with (seed, epoch 0, doc index), so every checkpoint is scored on the same masks.
    const jepa::data::MaskParams mask_params{cfg.jepa.mask_ratio, cfg.jepa.mean_span_len};
    const int64_t n_docs = corpus->size();
    int64_t n_batches = (n_docs + args.batch_size - 1) / args.batch_size;
    if (args.batches > 0) n_batches = std::min(n_batches, args.batches);
    double loss_sum = 0, batch_loss_sum = 0;
    int64_t masked = 0, tokens = 0, docs_done = 0, loss_batches = 0;
    std::vector<torch::Tensor> pooled;
    for (int64_t b = 0; b < n_batches; ++b) {
      std::vector<int64_t> idx;
      for (int64_t i = b * args.batch_size; i < std::min(n_docs, (b + 1) * args.batch_size); ++i) idx.push_back(i);
      const auto batch = jepa::data::read_batch(*corpus, idx, std::vector<int64_t>(idx.size(), 0), max_length,
                                                mask_params, static_cast<uint64_t>(args.seed));
      const auto d = batch.to(device);
      const int64_t m = batch.pred_mask.sum().item<int64_t>();
      if (m > 0) {
        const auto terms = objective->compute(*model, d);
        const double l = jepa::objective::combine(terms, jepa::objective::local_counts(terms)).item<double>();
        loss_sum += l * static_cast<double>(m);
        batch_loss_sum += l;
        loss_batches += 1;
      }
      masked += m;
      tokens += batch.tokens;
      docs_done += static_cast<int64_t>(idx.size());
      pooled.push_back(ev.embed(batch));
    }
    if (docs_done < 2) throw std::runtime_error("held-out corpus '" + args.data + "' has fewer than 2 documents to evaluate");

    out["data"] = args.data;
    out["which"] = args.which;
    out["device"] = device.str();
    out["seed"] = args.seed;
    out["docs"] = docs_done;
    out["batches"] = n_batches;
    out["tokens"] = tokens;
    out["masked_positions"] = masked;
    out["masked_loss"] = masked > 0 ? loss_sum / static_cast<double>(masked) : 0.0;
    out["masked_loss_batch_mean"] = loss_batches > 0 ? batch_loss_sum / static_cast<double>(loss_batches) : 0.0;
    out["collapse"] = stats_json(jepa::train::collapse_stats(torch::cat(pooled)));
  } else {
    out["which"] = args.which;
    out["device"] = device.str();
  }

  auto tokenizer = [&]() -> const jepa::data::WordPieceTokenizer& {
    if (!tok) tok = jepa::data::WordPieceTokenizer::from_vocab_file(args.vocab);
    if (static_cast<int64_t>(tok->vocab_size()) != vocab_size)
      throw std::runtime_error("vocab '" + args.vocab + "' has " + std::to_string(tok->vocab_size()) +
                               " entries, the checkpoint " + std::to_string(vocab_size));
    return *tok;
  };
  if (!args.labelled.empty()) {
    const auto set = jepa::eval::read_labelled_tsv(args.labelled);
    if (set.labels.size() < 2) throw std::runtime_error("labelled set '" + args.labelled + "' has fewer than 2 examples");
    const auto all = embed_texts(ev, tokenizer(), set.texts, max_length, args.batch_size, false);
    json r;
    r["file"] = args.labelled;
    r.update(retrieval(all, set.labels));
    r["collapse"] = stats_json(jepa::train::collapse_stats(all));
    out["retrieval"] = r;
  }
  if (probe_set) {
    const auto& wp = tokenizer();
    out["probe"] = probe(args, *probe_set, args.which, [&](const std::vector<std::string>& train, const std::vector<std::string>& test) {
      return std::pair{embed_texts(ev, wp, train, max_length, args.batch_size, true),
                       embed_texts(ev, wp, test, max_length, args.batch_size, true)};
    }, json{{"max_length", max_length}});
  }
  out["seconds"] = seconds_since(t0);
  return out;
}

// --task regex (design.md §9): generation accuracy of an LLM-JEPA decoder and the Enc(text) - Enc(code) spectrum.
json evaluate_regex(const Args& args) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto ckpt = jepa::train::find_checkpoint(args.checkpoint);
  jepa::config::Config trained;
  try {
    trained = jepa::config::from_yaml(YAML::LoadFile((fs::path(ckpt) / "config.yaml").string()));
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint '" + ckpt + "': config.yaml: " + e.what());
  }
  if (trained.train.objective != "llm_jepa")
    throw std::runtime_error("checkpoint '" + ckpt + "' was trained with train.objective=" + trained.train.objective +
                             ", not llm_jepa: --task regex evaluates LLM-JEPA decoders");
  // The training corpus named by the checkpoint's config holds the BPE, unless --data names another paired corpus.
  const std::string corpus_path = args.data.empty() ? trained.data.path : args.data;
  const jepa::data::CorpusReader corpus(corpus_path);
  if (!corpus.meta().paired())
    throw std::runtime_error("corpus '" + corpus_path + "' is not a paired corpus (its tokenizer is needed; pass --data)");
  const auto tok = jepa::data::BpeTokenizer::from_text(corpus.meta().tokenizer_spec);
  const auto ids = jepa::data::ChatIds::of(tok);
  auto m = load_model(args, tok.vocab_size(), "corpus '" + corpus_path + "'");
  auto* dec = dynamic_cast<jepa::model::LlamaDecoder*>(m.model->context_encoder.get());
  if (!dec) throw std::runtime_error("checkpoint '" + m.ckpt + "' is not a decoder (train.objective=llm_jepa) model");
  const auto device = jepa::train::pick_device(args.device, 0);
  m.model->to(device);
  m.model->eval();
  const auto examples = jepa::data::read_paired_jsonl(args.test);
  if (examples.empty()) throw std::runtime_error("--test '" + args.test + "' holds no examples");

  std::vector<std::vector<int32_t>> prompts;
  std::vector<jepa::data::PairedExample> paired;
  for (const auto& e : examples) {
    prompts.push_back(jepa::data::encode_prompt(tok, e));
    paired.push_back(jepa::data::encode_example(tok, e));
  }
  const auto gen = jepa::eval::greedy_generate(*dec, prompts, args.max_new, ids.end, ids.pad, args.batch_size, device);
  int64_t exact = 0, semantic = 0, unparsable = 0, limit = 0;
  json samples = json::array();
  for (size_t i = 0; i < examples.size(); ++i) {
    const auto text = tok.decode(gen[i]);
    const bool same = text == examples[i].code;
    bool equiv = same;
    if (!same) {
      try {
        jepa::task::parse_regex(text);
        equiv = jepa::task::equivalent(std::string_view(text), std::string_view(examples[i].code));
      } catch (const jepa::task::RegexParseError&) {
        ++unparsable;
      } catch (const jepa::task::EquivalenceLimit&) {
        ++limit;
      }
    }
    exact += same;
    semantic += equiv;
    if (samples.size() < 8) samples.push_back({{"text", examples[i].text}, {"reference", examples[i].code}, {"generated", text},
                                               {"exact", same}, {"semantic", equiv}});
  }
  // The paper's diagnostic: the spectrum of Enc(text ⊕ [PRED] x k) - Enc(code) over the test set.
  jepa::data::PairedParams p;
  p.pred_tokens = m.cfg.jepa.pred_tokens;
  p.packed = false;
  p.bos = ids.bos;
  p.pad = ids.pad;
  p.pred = ids.pred;
  const auto [et, ec] = jepa::eval::view_embeddings(*dec, paired, p, args.batch_size, device);
  const auto sv = torch::linalg_svdvals(et - ec);
  json top = json::array();
  for (int64_t k = 0; k < std::min<int64_t>(10, sv.size(0)); ++k) top.push_back(sv[k].item<double>());
  const auto n = static_cast<double>(examples.size());
  json out;
  out["task"] = "regex";
  out["checkpoint"] = m.ckpt;
  out["step"] = m.step;
  out["examples"] = examples.size();
  out["exact_match"] = static_cast<double>(exact) / n;
  out["semantic_match"] = static_cast<double>(semantic) / n;
  out["unparsable"] = static_cast<double>(unparsable) / n;
  out["equivalence_limit_hits"] = limit;
  out["pred_tokens"] = m.cfg.jepa.pred_tokens;
  out["view_cosine_mean"] = torch::cosine_similarity(et, ec, 1).mean().item<double>();
  out["diff_singular_values_top10"] = top;
  out["diff_singular_values_sum"] = sv.sum().item<double>();
  out["samples"] = samples;
  out["seconds"] = seconds_since(t0);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    args = parse_args(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "jepa_eval: error: " << e.what() << "\n" << kUsage;
    return 2;
  }
  try {
    const auto cpus = jepa::train::allowed_cpus();
    torch::set_num_threads(jepa::train::choose_threads(args.threads, cpus, {cpus}));
    const auto result = args.task == "regex" ? evaluate_regex(args) : evaluate(args);
    const std::string text = result.dump(2);
    if (!args.out.empty()) {
      if (fs::path(args.out).has_parent_path()) fs::create_directories(fs::path(args.out).parent_path());
      std::ofstream f(args.out, std::ios::trunc);
      if (!(f << text << "\n")) throw std::runtime_error("cannot write '" + args.out + "'");
    }
    std::cout << text << "\n";
  } catch (const UsageError& e) {  // a bad --config or override
    std::cerr << "jepa_eval: error: " << jepa::tools::one_line(e.what()) << "\n";
    return 2;
  } catch (const c10::Error& e) {
    std::cerr << "jepa_eval: error: " << jepa::tools::one_line(e.what_without_backtrace()) << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "jepa_eval: error: " << jepa::tools::one_line(e.what()) << "\n";
    return 1;
  }
  return 0;
}
