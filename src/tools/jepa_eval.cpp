// jepa_eval: scores a checkpoint on a held-out corpus (docs/evaluation.md).
//   jepa_eval --checkpoint DIR --data HELD_OUT.h5 [--batches N] [--batch-size B] [--seed S] [--which target|context]
//             [--labelled FILE.tsv --vocab VOCAB.txt] [--device auto|cpu|cuda] [--threads N] [--out metrics.json]
// Prints one JSON object on stdout (and writes it to --out): the masked-position JEPA loss on the held-out split
// (masks from the training masker, model in eval mode), collapse stats of the mean-pooled embeddings of the split, and
// with --labelled a leave-one-out 1-nearest-neighbour (cosine) retrieval accuracy next to its chance baselines.
// Exit codes: 0 ok, 1 runtime error (missing/corrupt checkpoint or data; one line on stderr), 2 bad usage.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tools/cli_args.hpp"
#include "config/config.hpp"
#include "data/batch.hpp"
#include "data/corpus.hpp"
#include "data/masker.hpp"
#include "data/tokenizer.hpp"
#include "model/jepa.hpp"
#include "model/safetensors.hpp"
#include "objective/objective.hpp"
#include "train/checkpoint.hpp"
#include "train/collapse.hpp"
#include "train/trainer.hpp"

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

constexpr const char* kUsage =
    "usage: jepa_eval --checkpoint DIR --data HELD_OUT.h5 [options]\n"
    "\n"
    "Evaluates a jepa_dist checkpoint on a held-out corpus; prints one JSON object on stdout.\n"
    "\n"
    "  --checkpoint DIR     a checkpoint directory (step_XXXXXXX), a checkpoints/ dir holding `latest`, or a run dir\n"
    "  --data FILE.h5       held-out corpus made by jepa_prep with the training vocabulary\n"
    "  --batches N          evaluate only the first N batches of the split (default: all documents)\n"
    "  --batch-size B       sequences per forward pass (default 32)\n"
    "  --seed S             seed of the span masks (default 42; masks depend only on seed and document index)\n"
    "  --which W            target|context: encoder whose mean-pooled embeddings are scored (default target)\n"
    "  --labelled FILE.tsv  label<TAB>sentence lines: leave-one-out 1-NN retrieval accuracy (needs --vocab)\n"
    "  --vocab VOCAB.txt    WordPiece vocabulary used to tokenize --labelled (must be the corpus's vocabulary)\n"
    "  --device D           auto|cpu|cuda|cuda:N (default auto)\n"
    "  --threads N          intra-op threads (default: all cores)\n"
    "  --out FILE.json      also write the JSON there\n"
    "  -h, --help           this help\n";

using jepa::tools::UsageError;

struct Args {
  std::string checkpoint, data, labelled, vocab, out, which = "target", device = "auto";
  int64_t batches = -1, batch_size = 32, seed = 42, threads = 0;
};

int64_t parse_int(const std::string& flag, const std::string& v, int64_t min) {
  const auto x = jepa::tools::parse_int64(v);
  if (!x || *x < min) throw UsageError(flag + " expects an integer >= " + std::to_string(min) + ", got '" + v + "'");
  return *x;
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
    if (flag.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + flag + "'");
    const std::string value = args.value("");
    if (flag == "--checkpoint") a.checkpoint = value;
    else if (flag == "--data") a.data = value;
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
  if (a.checkpoint.empty()) throw UsageError("--checkpoint is required");
  if (a.data.empty()) throw UsageError("--data is required");
  if (a.which != "target" && a.which != "context") throw UsageError("--which must be target or context, got '" + a.which + "'");
  if (!a.labelled.empty() && a.vocab.empty()) throw UsageError("--labelled needs --vocab (the vocab.txt the corpus was made with)");
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

struct Labelled {
  std::vector<std::string> labels, texts;
};

Labelled read_labelled(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("labelled set '" + path + "' cannot be read");
  Labelled l;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    if (tab == std::string::npos || tab == 0 || tab + 1 == line.size())
      throw std::runtime_error(path + ":" + std::to_string(n) + ": expected label<TAB>sentence");
    l.labels.push_back(line.substr(0, tab));
    l.texts.push_back(line.substr(tab + 1));
  }
  if (l.labels.size() < 2) throw std::runtime_error("labelled set '" + path + "' has fewer than 2 examples");
  return l;
}

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

json evaluate(const Args& args) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string ckpt = jepa::train::find_checkpoint(args.checkpoint);
  const fs::path cdir(ckpt);
  for (const char* f : {"model.safetensors", "config.yaml"})
    if (!fs::exists(cdir / f)) throw std::runtime_error("checkpoint '" + ckpt + "': missing " + f);

  jepa::config::Config cfg;
  try {
    cfg = jepa::config::from_yaml(YAML::LoadFile((cdir / "config.yaml").string()));
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint '" + ckpt + "': config.yaml: " + e.what());
  }
  int64_t step = -1;
  if (fs::exists(cdir / "trainer_state.json")) {
    try {
      step = nlohmann::json::parse(read_file(cdir / "trainer_state.json")).at("step").get<int64_t>();
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error("checkpoint '" + ckpt + "': trainer_state.json: " + e.what());
    }
  }

  auto corpus = std::make_shared<jepa::data::CorpusReader>(args.data);
  const auto& meta = corpus->meta();
  if (!args.vocab.empty()) corpus->check_vocab(jepa::data::sha256_file(args.vocab));
  const auto weights = jepa::model::load_safetensors((cdir / "model.safetensors").string());
  int64_t vocab_size = meta.vocab_size;
  if (auto it = weights.find("context_encoder.emb.weight"); it != weights.end()) {
    vocab_size = it->second.size(0);
    if (meta.vocab_size != vocab_size)
      throw std::runtime_error("held-out corpus '" + args.data + "' has vocab_size " + std::to_string(meta.vocab_size) +
                               " but the checkpoint's embedding has " + std::to_string(vocab_size) + " rows");
  }

  const auto device = jepa::train::pick_device(args.device);
  jepa::model::Jepa model(cfg.model, cfg.jepa, vocab_size);
  try {
    model->load_state(weights);
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint '" + ckpt + "': " + e.what());
  }
  model->to(device);
  model->train(false);  // dropout off everywhere
  torch::NoGradGuard no_grad;
  Evaluator ev{*model, device, args.which == "target"};
  // The masked loss is the training objective's: each term's mean over the batch, weighted and summed.
  const auto objective = jepa::objective::make_objective(cfg);

  // Held-out split: documents in corpus order, in batches of B (the last one may be short); masks from the
  // training masker with (seed, epoch 0, doc index), so every checkpoint is scored on the same masks.
  const int64_t max_length = std::min(cfg.data.max_length, cfg.model.max_positions);
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
    const auto bodies = corpus->docs(idx);
    std::vector<std::vector<int32_t>> seqs;
    std::vector<std::vector<uint8_t>> masks;
    for (size_t i = 0; i < idx.size(); ++i) {
      seqs.push_back(jepa::data::with_specials(bodies[i], max_length, meta.special));
      auto rng = jepa::data::mask_rng(static_cast<uint64_t>(args.seed), 0, static_cast<uint64_t>(idx[i]));
      masks.push_back(jepa::data::span_mask(seqs.back(), meta.special, mask_params, rng));
    }
    const auto batch = jepa::data::collate(seqs, masks, meta.special);
    const auto d = batch.to(device);
    const int64_t m = batch.pred_mask.sum().item<int64_t>();
    if (m > 0) {
      double l = 0;
      for (const auto& term : objective->compute(*model, d).terms)
        l += term.weight * term.sum.item<double>() / static_cast<double>(std::max<int64_t>(1, term.count));
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

  json out;
  out["checkpoint"] = ckpt;
  out["step"] = step;
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

  if (!args.labelled.empty()) {
    const auto set = read_labelled(args.labelled);
    const auto tok = jepa::data::WordPieceTokenizer::from_vocab_file(args.vocab);
    if (static_cast<int64_t>(tok.vocab_size()) != vocab_size)
      throw std::runtime_error("vocab '" + args.vocab + "' has " + std::to_string(tok.vocab_size()) +
                               " entries, the checkpoint " + std::to_string(vocab_size));
    std::vector<torch::Tensor> emb;
    for (size_t s = 0; s < set.texts.size(); s += static_cast<size_t>(args.batch_size)) {
      std::vector<std::vector<int32_t>> seqs;
      std::vector<std::vector<uint8_t>> none;
      for (size_t i = s; i < std::min(set.texts.size(), s + static_cast<size_t>(args.batch_size)); ++i) {
        seqs.push_back(tok.encode(set.texts[i], static_cast<size_t>(max_length)));
        none.emplace_back(seqs.back().size(), 0);
      }
      emb.push_back(ev.embed(jepa::data::collate(seqs, none, tok.special())));
    }
    const auto all = torch::cat(emb);
    json r;
    r["file"] = args.labelled;
    r.update(retrieval(all, set.labels));
    r["collapse"] = stats_json(jepa::train::collapse_stats(all));
    out["retrieval"] = r;
  }
  out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
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
    torch::set_num_threads(jepa::train::choose_threads(args.threads, 1));
    const auto result = evaluate(args);
    const std::string text = result.dump(2);
    if (!args.out.empty()) {
      if (fs::path(args.out).has_parent_path()) fs::create_directories(fs::path(args.out).parent_path());
      std::ofstream f(args.out, std::ios::trunc);
      if (!(f << text << "\n")) throw std::runtime_error("cannot write '" + args.out + "'");
    }
    std::cout << text << "\n";
  } catch (const c10::Error& e) {
    std::cerr << "jepa_eval: error: " << jepa::tools::one_line(e.what_without_backtrace()) << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "jepa_eval: error: " << jepa::tools::one_line(e.what()) << "\n";
    return 1;
  }
  return 0;
}
