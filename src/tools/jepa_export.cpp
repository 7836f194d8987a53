// jepa_export: one encoder of a jepa_dist checkpoint -> a Hugging Face model directory that
// transformers' AutoModel.from_pretrained / AutoTokenizer.from_pretrained load as-is (docs/export.md).
//   jepa_export --checkpoint DIR --out DIR [--which target|context] [--vocab VOCAB.txt] [--force]
// Exit codes: 0 written, 1 error (one line on stderr), 2 bad command line.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include "tools/cli_args.hpp"
#include "config/config.hpp"
#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "model/encoder.hpp"
#include "model/hf_config.hpp"
#include "model/safetensors.hpp"
#include "train/checkpoint.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kUsage =
    "usage: jepa_export --checkpoint DIR --out DIR [--which target|context] [--vocab VOCAB.txt] [--force]\n"
    "\n"
    "Writes one encoder of a jepa_dist checkpoint as a Hugging Face model directory: config.json,\n"
    "model.safetensors (BertModel / DistilBertModel names), vocab.txt, tokenizer_config.json,\n"
    "special_tokens_map.json. Load it with transformers.AutoModel.from_pretrained(DIR).\n"
    "\n"
    "  --checkpoint DIR   a checkpoint (run.dir/checkpoints/step_XXXXXXX), a checkpoints/ dir or a run dir\n"
    "                     (their `latest` checkpoint)\n"
    "  --which W          target (default: the EMA encoder, I-JEPA's choice) or context\n"
    "  --out DIR          output directory (written to DIR.tmp.<pid>, then renamed)\n"
    "  --vocab FILE       vocab.txt to ship; default: the source model dir's vocab.txt, else data.vocab\n"
    "  --force            replace an existing --out\n";

using jepa::tools::UsageError;

struct Args {
  std::string checkpoint, out, which = "target";
  std::optional<std::string> vocab;
  bool force = false;
};

Args parse_args(int argc, char** argv) {
  Args a;
  jepa::tools::ArgWalker args(argc, argv);
  while (args.next()) {
    const auto& flag = args.flag();
    if (flag == "--checkpoint") a.checkpoint = args.value();
    else if (flag == "--out") a.out = args.value();
    else if (flag == "--which") a.which = args.value();
    else if (flag == "--vocab") a.vocab = args.value();
    else if (flag == "--force") a.force = true;
    else throw UsageError("unknown argument '" + flag + "' (see --help)");
  }
  if (a.checkpoint.empty()) throw UsageError("--checkpoint is required (see --help)");
  if (a.out.empty()) throw UsageError("--out is required (see --help)");
  if (a.which != "target" && a.which != "context")
    throw UsageError("--which must be target or context, got '" + a.which + "'");
  return a;
}

// Absolute, symlink-resolved, normalized; trailing empty / "." components dropped (so "run3/" == "run3").
fs::path canonical_path(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(fs::absolute(p), ec);
  if (ec) c = fs::absolute(p).lexically_normal();
  fs::path r;
  for (const auto& part : c)
    if (!part.empty() && part != ".") r /= part;
  return r;
}

// True when `a` is `b` or lies inside it (both from canonical_path).
bool within(const fs::path& a, const fs::path& b) {
  auto ia = a.begin();
  for (auto ib = b.begin(); ib != b.end(); ++ib, ++ia)
    if (ia == a.end() || *ia != *ib) return false;
  return true;
}

// --out must not be, contain or lie inside the checkpoint or its run dir (replacing it would destroy the source).
void check_out_vs_checkpoint(const std::string& out_arg, const fs::path& ckpt) {
  const fs::path out = canonical_path(out_arg), c = canonical_path(ckpt);
  std::vector<std::pair<fs::path, std::string>> guarded = {{c, "checkpoint"}};
  // The run dir (checkpoint's parent's parent) when the checkpoint sits in a checkpoints/ dir of a run.
  std::error_code ec;
  if (c.has_parent_path() && (c.parent_path().filename() == "checkpoints" ||
                              fs::exists(c.parent_path() / "latest", ec)))
    guarded.emplace_back(c.parent_path().parent_path(), "run");
  for (const auto& [g, what] : guarded)
    if (within(out, g) || within(g, out))
      throw std::runtime_error("output '" + out_arg + "' is, contains or is inside the " + what + " directory '" +
                               g.string() + "'; choose another --out");
}

void write_json(const fs::path& path, const json& j) {
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  if (!out.flush()) throw std::runtime_error("cannot write '" + path.string() + "'");
}

int run(const Args& a) {
  const fs::path ckpt = jepa::train::find_checkpoint(a.checkpoint);
  check_out_vs_checkpoint(a.out, ckpt);
  const fs::path cfg_path = ckpt / "config.yaml";
  if (!fs::exists(cfg_path)) throw std::runtime_error("checkpoint '" + ckpt.string() + "' has no config.yaml");
  jepa::config::Config cfg;
  try {
    cfg = jepa::config::from_yaml(YAML::LoadFile(cfg_path.string()));
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint config '" + cfg_path.string() + "': " + e.what());
  }
  if (jepa::model::is_backbone(cfg.model.name) && !jepa::model::is_hf_backbone(cfg.model.name))
    throw std::runtime_error(cfg.model.name + " encoder has no transformers architecture; export supports " +
                             jepa::model::backbone_names(", ", true));

  // The chosen encoder's tensors, prefix stripped.
  const auto weights_path = (ckpt / "model.safetensors").string();
  const auto all = jepa::model::load_safetensors(weights_path);
  const std::string prefix = a.which + "_encoder.";
  jepa::model::TensorMap weights;
  for (const auto& [name, t] : all)
    if (name.rfind(prefix, 0) == 0) weights[name.substr(prefix.size())] = t;
  const auto emb = weights.find("embeddings.word_embeddings.weight");
  if (emb == weights.end())
    throw std::runtime_error("weights '" + weights_path + "': no tensor '" + prefix +
                             "embeddings.word_embeddings.weight' (not a bert/distilbert checkpoint?)");
  const int64_t vocab_size = emb->second.size(0);

  // The architecture: the same one the trainer built (config.json of a model dir, or model.* for bert/distilbert).
  torch::manual_seed(0);
  auto enc = jepa::model::make_encoder(cfg.model, vocab_size);
  const auto* hc = enc->hf_config();
  if (!hc) throw std::runtime_error("model.name '" + cfg.model.name + "' has no transformers architecture");
  jepa::model::load_encoder_weights(*enc, weights, weights_path, jepa::model::WeightSource::kOwnEncoder);

  // The vocabulary: --vocab, else the source model dir's, else data.vocab. It must fit the embedding and, when the
  // corpus is at hand, be the one the corpus was prepared with.
  std::string vocab;
  std::error_code ec;
  if (a.vocab) vocab = *a.vocab;
  else if (!jepa::model::is_hf_backbone(cfg.model.name) && fs::exists(fs::path(cfg.model.name) / "vocab.txt", ec))
    vocab = (fs::path(cfg.model.name) / "vocab.txt").string();
  else if (cfg.data.vocab) vocab = *cfg.data.vocab;
  else
    throw std::runtime_error("no vocab.txt to ship: pass --vocab (the vocabulary the corpus was prepared with)");
  if (!fs::is_regular_file(vocab, ec)) throw std::runtime_error("vocab '" + vocab + "' not found");
  const auto tok = jepa::data::WordPieceTokenizer::from_vocab_file(vocab);
  if (static_cast<int64_t>(tok.vocab_size()) != vocab_size)
    throw std::runtime_error("vocab '" + vocab + "' has " + std::to_string(tok.vocab_size()) +
                             " entries but the encoder's vocab_size is " + std::to_string(vocab_size));
  if (fs::is_regular_file(cfg.data.path, ec)) {
    const std::string sha = jepa::data::CorpusReader(cfg.data.path).meta().vocab_sha256;
    if (!sha.empty() && sha != tok.vocab_sha256())
      throw std::runtime_error("vocab '" + vocab + "' is not the vocabulary corpus '" + cfg.data.path +
                               "' was prepared with (SHA-256 differs); pass the right one with --vocab");
  }

  const fs::path out = fs::absolute(a.out);
  if (canonical_path(out) == canonical_path(vocab))
    throw std::runtime_error("output '" + a.out + "' is the vocab file '" + vocab + "'; choose another --out");
  if (fs::exists(out, ec) && !a.force)
    throw std::runtime_error("output '" + a.out + "' exists (use --force to replace it)");
  if (fs::exists(fs::symlink_status(out, ec)) &&
      !(fs::is_directory(out, ec) && fs::is_regular_file(out / "config.json", ec) &&
        fs::is_regular_file(out / "model.safetensors", ec)))
    throw std::runtime_error("output '" + a.out + "' exists and is not an earlier export (no config.json and "
                             "model.safetensors); --force only replaces exports");
  const fs::path tmp = out.string() + ".tmp." + std::to_string(::getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp);
  try {
    write_json(tmp / "config.json", jepa::model::to_hf_json(*hc));
    jepa::model::save_safetensors((tmp / "model.safetensors").string(), jepa::model::encoder_state(*enc),
                                  {{"jepa_checkpoint", fs::absolute(ckpt).string()}, {"jepa_encoder", a.which}});
    fs::copy_file(vocab, tmp / "vocab.txt");
    const json specials = {{"unk_token", "[UNK]"}, {"sep_token", "[SEP]"}, {"pad_token", "[PAD]"},
                           {"cls_token", "[CLS]"}, {"mask_token", "[MASK]"}};
    json tc = specials;
    tc["tokenizer_class"] = "BertTokenizer";
    tc["do_lower_case"] = true;
    tc["do_basic_tokenize"] = true;
    tc["tokenize_chinese_chars"] = true;
    tc["strip_accents"] = nullptr;
    tc["model_max_length"] = hc->max_positions;
    write_json(tmp / "tokenizer_config.json", tc);
    write_json(tmp / "special_tokens_map.json", specials);
    if (fs::exists(out, ec)) {
      const fs::path old = out.string() + ".old." + std::to_string(::getpid());
      fs::rename(out, old);
      try {
        fs::rename(tmp, out);
      } catch (...) {
        std::error_code back;
        fs::rename(old, out, back);  // put the old output back
        throw;
      }
      fs::remove_all(old, ec);
    } else {
      if (out.has_parent_path()) fs::create_directories(out.parent_path());
      fs::rename(tmp, out);
    }
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  std::cout << "jepa_export: wrote " << a.out << " (" << hc->model_type << ", " << a.which << " encoder of "
            << ckpt.string() << ", " << jepa::model::encoder_state(*enc).size() << " tensors)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::cout << kUsage;
      return 0;
    }
  try {
    return run(parse_args(argc, argv));
  } catch (const UsageError& e) {
    std::cerr << "jepa_export: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "jepa_export: error: " << jepa::tools::one_line(e.what()) << "\n";
    return 1;
  }
}
