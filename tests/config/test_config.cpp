// Config: schema defaults, Hydra-style composition, command-line overrides, strict typing/validation, round trip.
#include <gtest/gtest.h>

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "config/compose.hpp"
#include "config/config.hpp"
#include "config/fault.hpp"

namespace fs = std::filesystem;
using jepa::config::compose;
using jepa::config::compose_defaults;
using jepa::config::Config;
using jepa::config::ConfigError;
using jepa::config::defaults_yaml;
using jepa::config::Fault;
using jepa::config::from_yaml;
using jepa::config::parse_fault;
using jepa::config::to_yaml_string;

namespace {

// Runs f, expects a ConfigError whose one-line message contains every substring.
void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "multi-line message: " << msg;
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
    return;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected ConfigError, got: " << e.what();
    return;
  }
  ADD_FAILURE() << "expected ConfigError, nothing thrown";
}

Config load_text(const std::string& yaml) { return from_yaml(YAML::Load(yaml)); }

// A fresh config tree per test under the system temp dir.
class ConfigTree : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("jepa_cfg_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& rel, const std::string& text) {
    const fs::path p = dir_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  // model/{tiny,wide}.yaml, optim/{adamw,fast}.yaml, data/{a,b}.yaml
  void write_groups() {
    write("model/tiny.yaml", "dim: 64\nheads: 4\nlayers: 2\n");
    write("model/wide.yaml", "dim: 512\nheads: 8\n");
    write("optim/adamw.yaml", "lr: 1.0e-3\nweight_decay: 0.05\n");
    write("optim/fast.yaml", "lr: 0.01\n");
    write("data/a.yaml", "path: a.h5\n");
    write("data/b.yaml", "path: b.h5\nmax_length: 64\n");
  }
  Config run(const std::string& primary, const std::vector<std::string>& ov = {}) {
    return from_yaml(compose((dir_ / primary).string(), ov));
  }

  fs::path dir_;
};

std::string src(const std::string& rel) { return std::string(JEPA_SOURCE_DIR) + "/" + rel; }

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Schema defaults
// ---------------------------------------------------------------------------------------------------
TEST(ConfigSchema, DefaultsYamlEqualsStructDefaults) {
  const YAML::Node d = defaults_yaml();
  EXPECT_EQ(to_yaml_string(from_yaml(d)), to_yaml_string(Config{}));
  EXPECT_EQ(d["model"]["dim"].as<int64_t>(), 256);
  EXPECT_EQ(d["optim"]["lr"].as<double>(), 1e-4);
  EXPECT_EQ(d["train"]["device"].as<std::string>(), "auto");
  EXPECT_EQ(d["train"]["objective"].as<std::string>(), "jepa");
  EXPECT_EQ(d["jepa"]["target_layers"].as<int64_t>(), 1);  // the reference's targets: the last layer, as is
  EXPECT_EQ(d["jepa"]["target_norm"].as<std::string>(), "none");
  EXPECT_EQ(d["jepa"]["loss"].as<std::string>(), "cosine");
  EXPECT_EQ(d["jepa"]["vc_weight"].as<double>(), 0.0);  // VICReg terms off: the reference's loss
  EXPECT_EQ(d["jepa"]["var_target"].as<double>(), 1.0);
  EXPECT_EQ(d["model"]["init"].as<std::string>(), "independent");
  // optional<> fields are absent unless set
  EXPECT_FALSE(d["train"]["note"].IsDefined());
  EXPECT_FALSE(d["data"]["vocab"].IsDefined());
  EXPECT_FALSE(d["data"]["max_docs"].IsDefined());
  EXPECT_FALSE(d["defaults"].IsDefined());
}

TEST(ConfigSchema, EmptyAndPartialDocumentsKeepDefaults) {
  const Config c = load_text("train:\n  steps: 7\n");
  EXPECT_EQ(c.train.steps, 7);
  EXPECT_EQ(c.train.batch_size, Config{}.train.batch_size);
  EXPECT_EQ(load_text("").model.dim, 256);
  EXPECT_EQ(load_text("model:\n").model.dim, 256);  // null section = empty
}

TEST(ConfigSchema, DefaultsKeyIsIgnoredByFromYaml) {
  EXPECT_EQ(load_text("defaults: [ {model: tiny}, _self_ ]\ntrain: {steps: 3}\n").train.steps, 3);
}

// ---------------------------------------------------------------------------------------------------
// Typing
// ---------------------------------------------------------------------------------------------------
TEST(ConfigTyping, IntegersNumbersBooleansStrings) {
  const Config c = load_text(
      "optim: {lr: 3e-4, weight_decay: 0, eps: 1.0e-9}\n"  // YAML ints accepted for numbers
      "jepa: {target_eval: no, mean_span_len: 7}\n"
      "train: {steps: +12, note: 1e-3, device: 'cuda:1'}\n"
      "data: {max_docs: 10, vocab: v.txt}\n");
  EXPECT_DOUBLE_EQ(c.optim.lr, 3e-4);
  EXPECT_EQ(c.optim.weight_decay, 0.0);
  EXPECT_EQ(c.optim.eps, 1e-9);
  EXPECT_FALSE(c.jepa.target_eval);
  EXPECT_EQ(c.jepa.mean_span_len, 7.0);
  EXPECT_EQ(c.train.steps, 12);
  ASSERT_TRUE(c.train.note.has_value());
  EXPECT_EQ(*c.train.note, "1e-3");  // strings take any scalar verbatim
  EXPECT_EQ(c.train.device, "cuda:1");
  EXPECT_EQ(c.data.max_docs, 10);
  EXPECT_EQ(c.data.vocab, "v.txt");
}

TEST(ConfigTyping, NullUnsetsOptionals) {
  const Config c = load_text("train: {note: ~}\ndata: {max_docs: null}\n");
  EXPECT_FALSE(c.train.note.has_value());
  EXPECT_FALSE(c.data.max_docs.has_value());
}

TEST(ConfigTyping, WrongTypeNamesKeyValueAndType) {
  expect_error([] { load_text("train: {steps: abc}"); }, {"config key 'train.steps'", "value 'abc'", "is not an integer"});
  expect_error([] { load_text("train: {steps: 2.5}"); }, {"'train.steps'", "'2.5'", "not an integer"});
  expect_error([] { load_text("train: {steps: \"200\"}"); }, {"'train.steps'", "\"200\"", "not an integer"});
  expect_error([] { load_text("train: {steps: 99999999999999999999}"); }, {"'train.steps'", "not an integer"});
  expect_error([] { load_text("optim: {lr: fast}"); }, {"config key 'optim.lr'", "value 'fast'", "is not a number"});
  expect_error([] { load_text("optim: {lr: .nan}"); }, {"'optim.lr'", "not a finite number"});
  expect_error([] { load_text("jepa: {target_eval: maybe}"); },
               {"config key 'jepa.target_eval'", "value 'maybe'", "is not a boolean"});
  expect_error([] { load_text("jepa: {target_eval: 1}"); }, {"'jepa.target_eval'", "not a boolean"});
  expect_error([] { load_text("run: {dir: [a, b]}"); }, {"config key 'run.dir'", "value '[a, b]'", "is not a string"});
  expect_error([] { load_text("run: {dir: ~}"); }, {"'run.dir'", "value 'null'", "is not a string"});
  expect_error([] { load_text("train: 5"); }, {"config key 'train'", "is not a mapping"});
  expect_error([] { load_text("[1, 2]"); }, {"config root", "not a mapping"});
}

TEST(ConfigTyping, UnknownKeySuggestsClosest) {
  expect_error([] { load_text("optim: {lrr: 0.1}"); }, {"unknown config key 'optim.lrr' (did you mean 'optim.lr'?)"});
  expect_error([] { load_text("optm: {lr: 0.1}"); }, {"unknown config key 'optm' (did you mean 'optim'?)"});
  expect_error([] { load_text("train: {stesp: 3}"); }, {"'train.stesp'", "did you mean 'train.steps'"});
  expect_error([] { load_text("train: {detect_anomalies: true}"); }, {"unknown config key 'train.detect_anomalies' (did you mean 'train.detect_anomaly'?)"});
  expect_error([] { load_text("train: {objectve: jepa}"); }, {"unknown config key 'train.objectve' (did you mean 'train.objective'?)"});
  expect_error([] { load_text("jepa: {target_layer: 2}"); }, {"unknown config key 'jepa.target_layer' (did you mean 'jepa.target_layers'?)"});
}

// ---------------------------------------------------------------------------------------------------
// Validation (ranges and enumerations)
// ---------------------------------------------------------------------------------------------------
TEST(ConfigValidation, OutOfRangeValues) {
  struct Case {
    const char* yaml;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {"jepa: {mask_ratio: 0}", {"'jepa.mask_ratio'", "value 0.0", "(0, 1]"}},
      {"jepa: {mask_ratio: 1.5}", {"'jepa.mask_ratio'", "1.5", "(0, 1]"}},
      {"jepa: {mean_span_len: 0}", {"'jepa.mean_span_len'", "> 0"}},
      {"jepa: {ema_m: 1.01}", {"'jepa.ema_m'", "[0, 1]"}},
      {"jepa: {ema_m: -0.1}", {"'jepa.ema_m'", "[0, 1]"}},
      {"jepa: {ema_m_end: 2}", {"'jepa.ema_m_end'", "[0, 1]"}},
      {"jepa: {ema_schedule: step}", {"'jepa.ema_schedule'", "'step'", "must be one of: constant, linear, cosine"}},
      {"jepa: {target_layers: 0}", {"'jepa.target_layers'", "value 0", ">= 1"}},
      {"jepa: {target_norm: batch}", {"config key 'jepa.target_norm': value 'batch' is invalid (must be one of: none, layer, instance)"}},
      {"jepa: {loss: l1}", {"config key 'jepa.loss': value 'l1' is invalid (must be one of: cosine, mse, smooth_l1)"}},
      {"jepa: {vc_weight: -0.5}", {"'jepa.vc_weight'", "-0.5", ">= 0"}},
      {"jepa: {var_target: 0}", {"'jepa.var_target'", "> 0"}},
      {"optim: {predictor_lr_mult: 0}", {"'optim.predictor_lr_mult'", "> 0"}},
      {"train: {grad_accum: 0}", {"'train.grad_accum'", ">= 1"}},
      {"dist: {io_timeout_s: 0}", {"'dist.io_timeout_s'", "> 0"}},
      {"dist: {grad_dtype: fp16}", {"config key 'dist.grad_dtype': value 'fp16' is invalid (must be one of: fp32, bf16)"}},
      {"train: {on_nonfinite: ignore}", {"config key 'train.on_nonfinite': value 'ignore' is invalid (must be one of: stop, skip)"}},
      {"log: {color: yes}", {"config key 'log.color': value 'yes' is invalid (must be one of: auto, always, never)"}},
      {"monitor: {on_collapse: abort}", {"config key 'monitor.on_collapse': value 'abort' is invalid (must be one of: warn, stop)"}},
      {"monitor: {max_mean_cosine: -1}", {"'monitor.max_mean_cosine'", ">= 0"}},
      {"eval: {docs: 1}", {"'eval.docs'", ">= 2"}},
      {"eval: {batch_size: 0}", {"'eval.batch_size'", ">= 1"}},
      {"eval: {every: -5}", {"'eval.every'", ">= 0"}},
      {"train: {log_every: 10}\neval: {every: 25}", {"config key 'eval.every': value 25 is invalid (must be a multiple of train.log_every = 10)"}},
      {"model: {init: copy}", {"config key 'model.init': value 'copy' is invalid (must be one of: independent, shared)"}},
      {"train: {precision: fp16}", {"config key 'train.precision': value 'fp16' is invalid (must be one of: fp32, bf16)"}},
      {"model: {dim: 250, heads: 4}", {"'model.dim'", "250", "not divisible by model.heads (4)"}},
      {"model: {dim: 0}", {"'model.dim'", ">= 1"}},
      {"model: {heads: 0}", {"'model.heads'", ">= 1"}},
      {"model: {layers: 0}", {"'model.layers'", ">= 1"}},
      {"model: {dropout: 1.0}", {"'model.dropout'", "[0, 1)"}},
      {"model: {pred_dropout: -0.5}", {"'model.pred_dropout'", "[0, 1)"}},
      {"model: {pred_hidden_mult: 0}", {"'model.pred_hidden_mult'", ">= 1"}},
      {"model: {name: ''}", {"'model.name'", "must not be empty"}},
      {"optim: {lr: -1}", {"'optim.lr'", ">= 0"}},
      {"optim: {warmup_steps: -1}", {"'optim.warmup_steps'", ">= 0"}},
      {"optim: {beta2: 1}", {"'optim.beta2'", "[0, 1)"}},
      {"optim: {eps: 0}", {"'optim.eps'", "> 0"}},
      {"optim: {grad_clip: -1}", {"'optim.grad_clip'", ">= 0"}},
      {"train: {objective: ''}", {"config key 'train.objective': value '' is invalid (must not be empty)"}},
      {"train: {steps: 0}", {"'train.steps'", "value 0", ">= 1"}},
      {"train: {batch_size: 0}", {"'train.batch_size'", ">= 1"}},
      {"train: {log_every: 0}", {"'train.log_every'", ">= 1"}},
      {"train: {save_every: 0}", {"'train.save_every'", ">= 1"}},
      {"train: {keep_checkpoints: 0}", {"'train.keep_checkpoints'", ">= 1"}},
      {"train: {threads: -1}", {"'train.threads'", ">= 0"}},
      {"train: {device: gpu}", {"'train.device'", "'gpu'", "auto, cpu, cuda, cuda:N"}},
      {"train: {device: 'cuda:x'}", {"'train.device'", "'cuda:x'"}},
      {"data: {max_length: 1}", {"'data.max_length'", ">= 3"}},
      {"data: {max_length: 1024}", {"'data.max_length'", "model.max_positions"}},
      {"data: {max_docs: 0}", {"'data.max_docs'", ">= 1"}},
      {"dist: {backend: gloo}", {"'dist.backend'", "auto, mpi, nccl"}},
      {"dist: {bucket_mb: 0}", {"'dist.bucket_mb'", "> 0"}},
      {"dist: {timeout_s: 0}", {"'dist.timeout_s'", "> 0"}},
      {"dist: {fault: 'explode@1:2'}",
       {"config key 'dist.fault': value 'explode@1:2' is invalid (must be none or "
        "<abort|hang|perturb_target|nan_loss>@<rank>:<step>)"}},
      {"dist: {fault: ''}", {"'dist.fault'", "value ''", "abort|hang|perturb_target"}},
      {"run: {dir: ''}", {"'run.dir'", "must not be empty"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    expect_error([&] { load_text(c.yaml); }, c.parts);
  }
}

TEST(ConfigValidation, AcceptedEdgeValues) {
  const Config c = load_text(
      "jepa: {mask_ratio: 1, ema_m: 1, ema_m_end: 0, ema_schedule: linear}\n"
      "model: {dropout: 0, dim: 12, heads: 3}\n"
      "train: {device: 'cuda:0', threads: 0}\n"
      "dist: {fault: 'perturb_target@1:4', check_sync_every: 0, backend: nccl}\n");
  EXPECT_EQ(c.jepa.mask_ratio, 1.0);
  EXPECT_EQ(c.jepa.ema_schedule, "linear");
  EXPECT_EQ(c.model.heads, 3);
  EXPECT_EQ(c.dist.fault, "perturb_target@1:4");
  // train.objective: any non-empty name here; an unknown one is reported when the objective is built
  const Config n = load_text("train: {objective: my_objective}\njepa: {target_layers: 3, target_norm: instance, "
                             "loss: smooth_l1, ema_schedule: cosine}\nmodel: {init: shared}\n");
  EXPECT_EQ(n.train.objective, "my_objective");
  EXPECT_EQ(n.jepa.target_layers, 3);
  EXPECT_EQ(n.jepa.target_norm, "instance");
  EXPECT_EQ(n.jepa.loss, "smooth_l1");
  EXPECT_EQ(n.jepa.ema_schedule, "cosine");
  EXPECT_EQ(n.model.init, "shared");
  for (const char* d : {"auto", "cpu", "cuda", "cuda:3"}) EXPECT_EQ(load_text(std::string("train: {device: '") + d + "'}").train.device, d);
}

// ---------------------------------------------------------------------------------------------------
// dist.fault (parse_fault: the one parser, used by validation and the trainer)
// ---------------------------------------------------------------------------------------------------
TEST(ConfigFault, ParsesNoneAndEveryKind) {
  const Fault none = parse_fault("none");
  EXPECT_EQ(none.kind, "none");
  EXPECT_EQ(none.rank, -1);
  EXPECT_EQ(none.step, -1);

  struct Case {
    const char* spec;
    const char* kind;
    int rank;
    int64_t step;
  };
  for (const Case& c : {Case{"abort@0:0", "abort", 0, 0}, Case{"hang@3:17", "hang", 3, 17}, Case{"nan_loss@1:2", "nan_loss", 1, 2},
                        Case{"perturb_target@1:4", "perturb_target", 1, 4},
                        Case{"abort@007:0010", "abort", 7, 10},                        // leading zeros
                        Case{"hang@2147483647:99999999999", "hang", 2147483647, 99999999999LL}}) {  // largest
    SCOPED_TRACE(c.spec);
    const Fault f = parse_fault(c.spec);
    EXPECT_EQ(f.kind, c.kind);
    EXPECT_EQ(f.rank, c.rank);
    EXPECT_EQ(f.step, c.step);
  }
}

TEST(ConfigFault, RejectsEachInvalidFormWithTheValidationMessage) {
  for (const char* spec : {
           "",                         // empty
           "None", "NONE", " none",    // only lower-case "none", exactly
           "abort",                    // no '@'
           "abort@1",                  // no ':'
           "abort:1@2",                // ':' before '@'
           "explode@1:2",              // unknown kind
           "Abort@1:2",                // kinds are lower-case
           "@1:2",                     // empty kind
           "abort@:2",                 // empty rank
           "abort@1:",                 // empty step
           "abort@-1:2", "abort@+1:2", // signs
           "abort@1:-2",
           "abort@1.5:2", "abort@1:2.0", "abort@0x1:2",  // not decimal digits
           "abort@1:2:3",              // trailing text
           "abort@1:2 ", "abort @1:2", // spaces
           "abort@1@2:3",              // two '@'
           "abort@123456789012:1",     // 12 digits
           "abort@1:123456789012",
           "abort@2147483648:1",       // rank does not fit an int
       }) {
    SCOPED_TRACE(std::string("'") + spec + "'");
    const std::string expected = std::string("config key 'dist.fault': value '") + spec +
                                 "' is invalid (must be none or <abort|hang|perturb_target|nan_loss>@<rank>:<step>)";
    try {
      parse_fault(spec);
      ADD_FAILURE() << "accepted";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.what(), expected);
    }
    // validation gives the same message
    try {
      Config c;
      c.dist.fault = spec;
      from_yaml(YAML::Load(to_yaml_string(c)));
      ADD_FAILURE() << "validation accepted";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.what(), expected);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Round trip
// ---------------------------------------------------------------------------------------------------
TEST(ConfigRoundTrip, ToYamlThenFromYamlGivesSameValues) {
  Config c;
  c.optim.lr = 0.1 + 0.2;  // 0.30000000000000004: needs 17 digits
  c.optim.eps = 1e-8;
  c.optim.weight_decay = 1.0 / 3.0;
  c.jepa.ema_m = 0.996;
  c.jepa.ema_schedule = "linear";
  c.jepa.target_eval = false;
  c.model.dropout = 0.0;
  c.train.steps = 123456789012LL;
  c.train.seed = 0;
  c.train.note = "yes";  // would read back as a boolean if not quoted
  c.data.vocab = "123";
  c.data.max_docs = 5;
  c.run.dir = "runs/x: y";
  c.dist.bucket_mb = 0.05;
  c.dist.overlap = false;
  c.train.objective = "no";     // would read back as a boolean if not quoted
  c.jepa.target_layers = 2;
  c.jepa.target_norm = "layer";
  c.jepa.loss = "mse";
  c.model.init = "shared";

  const std::string text = to_yaml_string(c);
  const Config r = from_yaml(YAML::Load(text));
  EXPECT_EQ(r.optim.lr, c.optim.lr);  // exact, not approximately
  EXPECT_EQ(r.optim.eps, c.optim.eps);
  EXPECT_EQ(r.optim.weight_decay, c.optim.weight_decay);
  EXPECT_EQ(r.jepa.ema_m, c.jepa.ema_m);
  EXPECT_EQ(r.jepa.ema_schedule, "linear");
  EXPECT_FALSE(r.jepa.target_eval);
  EXPECT_EQ(r.model.dropout, 0.0);
  EXPECT_EQ(r.train.steps, c.train.steps);
  EXPECT_EQ(r.train.note, std::optional<std::string>("yes"));
  EXPECT_EQ(r.data.vocab, std::optional<std::string>("123"));
  EXPECT_EQ(r.data.max_docs, std::optional<int64_t>(5));
  EXPECT_EQ(r.run.dir, "runs/x: y");
  EXPECT_EQ(r.dist.bucket_mb, 0.05);
  EXPECT_FALSE(r.dist.overlap);
  EXPECT_EQ(r.train.objective, "no");
  EXPECT_EQ(r.jepa.target_layers, 2);
  EXPECT_EQ(r.jepa.target_norm, "layer");
  EXPECT_EQ(r.jepa.loss, "mse");
  EXPECT_EQ(r.model.init, "shared");
  EXPECT_EQ(to_yaml_string(r), text);  // and a fixed point

  // The text itself: shortest exact doubles, floats always look like floats, strings that look like
  // other types are quoted.
  EXPECT_NE(text.find("lr: 0.30000000000000004"), std::string::npos) << text;
  EXPECT_NE(text.find("eps: 1.0e-08"), std::string::npos) << text;
  EXPECT_NE(text.find("timeout_s: 300.0"), std::string::npos) << text;
  EXPECT_NE(text.find("bucket_mb: 0.05"), std::string::npos) << text;
  EXPECT_NE(text.find("dropout: 0.0"), std::string::npos) << text;
  EXPECT_NE(text.find("note: \"yes\""), std::string::npos) << text;
  EXPECT_NE(text.find("vocab: \"123\""), std::string::npos) << text;
  EXPECT_NE(text.find("objective: \"no\""), std::string::npos) << text;
}

TEST(ConfigRoundTrip, EveryDoubleReadsBackExactly) {
  for (double v : {0.1, 1.0 / 3.0, 2e-5, 1e-300, 5e-324, 123456.789, 1e20, 0.1 + 0.7, 3.0, 6.02214076e23}) {
    Config c;
    c.optim.lr = v;
    const std::string text = to_yaml_string(c);
    EXPECT_EQ(from_yaml(YAML::Load(text)).optim.lr, v) << text;
  }
}

TEST(ConfigRoundTrip, KeyOrderFollowsTheStructs) {
  const std::string text = to_yaml_string(Config{});
  std::vector<size_t> pos;
  for (const char* s : {"model:", "jepa:", "optim:", "train:", "data:", "dist:", "run:"}) pos.push_back(text.find(s));
  for (size_t i = 0; i < pos.size(); ++i) ASSERT_NE(pos[i], std::string::npos);
  EXPECT_TRUE(std::is_sorted(pos.begin(), pos.end())) << text;
  EXPECT_LT(text.find("  name:"), text.find("  dim:"));
  EXPECT_LT(text.find("  steps:"), text.find("  batch_size:"));
  EXPECT_EQ(text.find("note:"), std::string::npos);  // unset optional
}

// Every key of the schema, in output order (optionals set so that they are written too). Adding, removing or
// moving a key must update this list and docs/configuration.md.
TEST(ConfigRoundTrip, EveryKeyInOutputOrder) {
  Config c;
  c.train.note = "n";
  c.data.vocab = "v.txt";
  c.data.max_docs = 1;
  std::vector<std::string> keys;
  for (const auto& sec : YAML::Load(to_yaml_string(c)))
    for (const auto& kv : sec.second) keys.push_back(sec.first.Scalar() + "." + kv.first.Scalar());
  const std::vector<std::string> expected = {
      "model.name", "model.dim", "model.layers", "model.heads", "model.ff_dim", "model.dropout",
      "model.max_positions", "model.pred_hidden_mult", "model.pred_dropout", "model.kv_heads", "model.rope_theta",
      "model.norm_eps", "model.tie_embeddings", "model.init",
      "jepa.mask_ratio", "jepa.mean_span_len", "jepa.ema_m", "jepa.ema_schedule", "jepa.ema_m_end",
      "jepa.target_eval", "jepa.target_layers", "jepa.target_norm", "jepa.loss", "jepa.vc_weight", "jepa.var_target",
      "jepa.lambda", "jepa.gamma", "jepa.pred_tokens", "jepa.distance", "jepa.infonce_temperature", "jepa.loss_dropout",
      "jepa.packed",
      "optim.lr", "optim.weight_decay", "optim.warmup_steps", "optim.grad_clip", "optim.beta1", "optim.beta2",
      "optim.eps", "optim.predictor_lr_mult",
      "train.objective", "train.steps", "train.batch_size", "train.grad_accum", "train.log_every", "train.save_every", "train.seed",
      "train.device", "train.threads", "train.keep_checkpoints", "train.resume", "train.detect_anomaly",
      "train.precision", "train.on_nonfinite", "train.profile", "train.note",
      "data.path", "data.max_length", "data.vocab", "data.max_docs", "data.group_by_length", "data.length_window",
      "data.prefetch", "data.padding_side", "dist.backend", "dist.bucket_mb", "dist.overlap", "dist.sparse_embedding", "dist.check_sync_every", "dist.timeout_s",
      "dist.io_timeout_s", "dist.grad_dtype", "dist.fault",
      "eval.every", "eval.data", "eval.docs", "eval.batch_size",
      "monitor.min_std", "monitor.min_effective_rank", "monitor.max_mean_cosine", "monitor.on_collapse",
      "run.dir", "log.color", "log.tensorboard",
  };
  EXPECT_EQ(keys, expected);
}

// ---------------------------------------------------------------------------------------------------
// Composition
// ---------------------------------------------------------------------------------------------------
TEST_F(ConfigTree, GroupsMergeUnderTheirKeyOnTopOfSchemaDefaults) {
  write_groups();
  write("main.yaml", "defaults:\n  - model: tiny\n  - optim: adamw\n");
  const Config c = run("main.yaml");
  EXPECT_EQ(c.model.dim, 64);
  EXPECT_EQ(c.model.layers, 2);
  EXPECT_EQ(c.model.ff_dim, 2048);  // untouched: schema default
  EXPECT_EQ(c.optim.lr, 1e-3);
  EXPECT_EQ(c.optim.weight_decay, 0.05);
  EXPECT_EQ(c.data.path, Config{}.data.path);
}

TEST_F(ConfigTree, SelfPositionDecidesWhoWins) {
  write_groups();
  // implicit _self_: after all defaults -> file wins
  write("implicit.yaml", "defaults: [ {optim: adamw} ]\noptim: {lr: 0.5}\n");
  EXPECT_EQ(run("implicit.yaml").optim.lr, 0.5);
  // explicit _self_ last
  write("last.yaml", "defaults: [ {optim: adamw}, _self_ ]\noptim: {lr: 0.5}\n");
  EXPECT_EQ(run("last.yaml").optim.lr, 0.5);
  // _self_ first -> the group wins where both set a key, the file's other keys survive
  write("first.yaml", "defaults: [ _self_, {optim: adamw} ]\noptim: {lr: 0.5, beta1: 0.8}\n");
  const Config f = run("first.yaml");
  EXPECT_EQ(f.optim.lr, 1e-3);
  EXPECT_EQ(f.optim.beta1, 0.8);
  // _self_ in the middle
  write("mid.yaml", "defaults: [ {optim: adamw}, _self_, {optim: fast} ]\noptim: {lr: 0.5, weight_decay: 0.2}\n");
  const Config m = run("mid.yaml");
  EXPECT_EQ(m.optim.lr, 0.01);
  EXPECT_EQ(m.optim.weight_decay, 0.2);
}

TEST_F(ConfigTree, StringIncludesComposeRecursivelyInOrder) {
  write_groups();
  write("common.yaml", "defaults: [ {model: wide}, _self_ ]\ntrain: {steps: 10, batch_size: 3}\nmodel: {layers: 7}\n");
  write("mid.yaml", "defaults: [ common ]\ntrain: {steps: 20}\n");
  write("top.yaml", "defaults: [ mid, {data: b}, _self_ ]\ntrain: {log_every: 5}\ndata: {max_length: 32}\n");
  const Config c = run("top.yaml");
  EXPECT_EQ(c.model.dim, 512);     // group from a nested include's defaults
  EXPECT_EQ(c.model.layers, 7);    // nested include's own content after its group
  EXPECT_EQ(c.train.steps, 20);    // mid overrides common
  EXPECT_EQ(c.train.batch_size, 3);
  EXPECT_EQ(c.train.log_every, 5);
  EXPECT_EQ(c.data.path, "b.h5");
  EXPECT_EQ(c.data.max_length, 32);
}

TEST_F(ConfigTree, IncludesInSubfolders) {
  write_groups();
  write("presets/p.yaml", "defaults: [ {optim: fast} ]\ntrain: {steps: 9}\n");
  write("main.yaml", "defaults: [ presets/p ]\n");
  const Config c = run("main.yaml");
  EXPECT_EQ(c.optim.lr, 0.01);  // groups resolve against the primary's folder
  EXPECT_EQ(c.train.steps, 9);
}

TEST_F(ConfigTree, MapsDeepMergeListsAndScalarsReplace) {
  write("inc.yaml", "extra:\n  m: {a: 1, b: 2}\n  l: [1, 2, 3]\n  s: x\n");
  write("main.yaml", "defaults: [ inc ]\nextra:\n  m: {b: 20, c: 30}\n  l: [9]\n  s: {now: map}\n");
  const YAML::Node n = compose((dir_ / "main.yaml").string(), {});
  EXPECT_EQ(n["extra"]["m"]["a"].as<int>(), 1);
  EXPECT_EQ(n["extra"]["m"]["b"].as<int>(), 20);
  EXPECT_EQ(n["extra"]["m"]["c"].as<int>(), 30);
  ASSERT_TRUE(n["extra"]["l"].IsSequence());
  ASSERT_EQ(n["extra"]["l"].size(), 1u);
  EXPECT_EQ(n["extra"]["l"][0].as<int>(), 9);
  EXPECT_EQ(n["extra"]["s"]["now"].as<std::string>(), "map");
  EXPECT_FALSE(n["defaults"].IsDefined());
  // and the schema defaults are the base layer of every composition
  EXPECT_EQ(n["model"]["dim"].as<int>(), 256);
}

TEST_F(ConfigTree, NewPackagesAndNestedGroupFolders) {
  write("extra/x.yaml", "k: 1\n");
  write("sub/inner/y.yaml", "k: 2\n");
  write("sub/inner/z.yaml", "k: 3\n");
  write("main.yaml", "defaults: [ {extra: x}, {sub/inner: y} ]\n");
  const std::string p = (dir_ / "main.yaml").string();
  YAML::Node n = compose(p, {});
  EXPECT_EQ(n["extra"]["k"].as<int>(), 1);
  EXPECT_EQ(n["sub"]["inner"]["k"].as<int>(), 2);
  n = compose(p, {"sub/inner=z"});
  EXPECT_EQ(n["sub"]["inner"]["k"].as<int>(), 3);
  expect_error([&] { compose(p, {"sub/inner=w"}); }, {"unknown option 'w'", "'sub/inner'", "available: y, z"});
  // group files are plain sections: no defaults list of their own
  write("extra/d.yaml", "defaults: [ x ]\nk: 1\n");
  expect_error([&] { compose(p, {"extra=d"}); }, {"extra/d.yaml", "defaults list is not supported in group files"});
}

TEST_F(ConfigTree, NullGroupSelectsNothingAndEmptyFilesAreEmpty) {
  write_groups();
  write("empty.yaml", "");
  write("main.yaml", "defaults: [ {model: null}, empty ]\n");
  EXPECT_EQ(run("main.yaml").model.dim, 256);
}

TEST_F(ConfigTree, CommandLineGroupSelection) {
  write_groups();
  write("main.yaml", "defaults: [ {model: tiny}, {optim: adamw}, _self_ ]\ntrain: {steps: 4}\n");
  // replaces the entry in place
  Config c = run("main.yaml", {"model=wide"});
  EXPECT_EQ(c.model.dim, 512);
  EXPECT_EQ(c.model.layers, 4);  // wide does not set layers; tiny's 2 is gone with it
  // adds a group missing from the defaults list; the file's own values still win
  write("nodata.yaml", "defaults: [ {model: tiny} ]\ndata: {max_length: 100}\n");
  c = run("nodata.yaml", {"data=b"});
  EXPECT_EQ(c.data.path, "b.h5");
  EXPECT_EQ(c.data.max_length, 100);
  // acts before composition whatever its position; key overrides act after, in order
  c = run("main.yaml", {"model.dim=128", "model=wide", "model.heads=16"});
  EXPECT_EQ(c.model.dim, 128);
  EXPECT_EQ(c.model.heads, 16);
  // last selection of a group wins
  EXPECT_EQ(run("main.yaml", {"optim=fast", "optim=adamw"}).optim.lr, 1e-3);
  // also replaces a group chosen inside an included file
  write("inc.yaml", "defaults: [ {model: tiny} ]\n");
  write("top.yaml", "defaults: [ inc ]\n");
  EXPECT_EQ(run("top.yaml", {"model=wide"}).model.dim, 512);
}

TEST_F(ConfigTree, UnknownGroupOptionListsOptions) {
  write_groups();
  write("main.yaml", "defaults: [ {model: tiny} ]\n");
  expect_error([&] { run("main.yaml", {"model=huge"}); },
               {"unknown option 'huge'", "config group 'model'", "model=huge", "available: tiny, wide"});
  write("bad.yaml", "defaults: [ {model: huge} ]\n");
  expect_error([&] { run("bad.yaml"); }, {"unknown option 'huge'", "available: tiny, wide", "bad.yaml"});
  write("nogroup.yaml", "defaults: [ {nosuch: x} ]\n");
  expect_error([&] { run("nogroup.yaml"); }, {"config group 'nosuch' not found", "nogroup.yaml"});
}

// ---------------------------------------------------------------------------------------------------
// Overrides
// ---------------------------------------------------------------------------------------------------
TEST_F(ConfigTree, OverrideForms) {
  write("main.yaml", "train: {steps: 4}\n");
  write("extra.yaml", "train: {steps: 4}\nextra: {k: 1, m: {x: 1}}\n");  // raw trees: not for from_yaml
  const std::string p = (dir_ / "main.yaml").string(), x = (dir_ / "extra.yaml").string();

  // a.b=v: existing key
  EXPECT_EQ(from_yaml(compose(p, {"train.steps=9"})).train.steps, 9);
  // +a.b=v: new key (optional fields are absent by default)
  EXPECT_EQ(from_yaml(compose(p, {"+train.note=hello"})).train.note, std::optional<std::string>("hello"));
  YAML::Node n = compose(x, {"+extra.new.deep=5"});
  EXPECT_EQ(n["extra"]["new"]["deep"].as<int>(), 5);
  // ++a.b=v: add or override
  EXPECT_EQ(from_yaml(compose(p, {"++train.steps=11"})).train.steps, 11);
  EXPECT_EQ(from_yaml(compose(p, {"++data.max_docs=3"})).data.max_docs, std::optional<int64_t>(3));
  // ~a.b: delete
  n = compose(x, {"~extra.k"});
  EXPECT_FALSE(n["extra"]["k"].IsDefined());
  EXPECT_TRUE(n["extra"]["m"].IsDefined());
  n = compose(p, {"+data.max_docs=5", "~data.max_docs"});
  EXPECT_FALSE(from_yaml(n).data.max_docs.has_value());
  // ~a.b=v: delete if the value matches (compared as values: 1.0 == 1)
  n = compose(x, {"~extra.k=1.0"});
  EXPECT_FALSE(n["extra"]["k"].IsDefined());
  n = compose(x, {"~extra.m={x: 1}"});
  EXPECT_FALSE(n["extra"]["m"].IsDefined());
  expect_error([&] { compose(x, {"~extra.k=2"}); }, {"'~extra.k=2'", "key 'extra.k' has value '1', not '2'"});
  // deleting a schema key from the composed tree resets it to its default
  EXPECT_EQ(from_yaml(compose(p, {"~train.steps"})).train.steps, Config{}.train.steps);
  // in order: later wins
  EXPECT_EQ(from_yaml(compose(p, {"train.steps=1", "train.steps=2"})).train.steps, 2);
}

TEST_F(ConfigTree, OverrideValuesAreParsedAsYaml) {
  write("main.yaml", "train: {steps: 4}\n");
  write("extra.yaml", "extra: {v: 0}\n");
  const std::string p = (dir_ / "main.yaml").string(), x = (dir_ / "extra.yaml").string();
  const Config c = from_yaml(compose(p, {"optim.lr=3e-4", "jepa.target_eval=false", "+train.note=\"a b\"",
                                         "train.seed=7", "run.dir=runs/my run"}));
  EXPECT_DOUBLE_EQ(c.optim.lr, 3e-4);
  EXPECT_FALSE(c.jepa.target_eval);
  EXPECT_EQ(c.train.note, std::optional<std::string>("a b"));
  EXPECT_EQ(c.train.seed, 7);
  EXPECT_EQ(c.run.dir, "runs/my run");

  YAML::Node n = compose(x, {"extra.v=[1,2]"});
  ASSERT_TRUE(n["extra"]["v"].IsSequence());
  EXPECT_EQ(n["extra"]["v"][1].as<int>(), 2);
  n = compose(x, {"extra.v={a: 1}"});
  EXPECT_EQ(n["extra"]["v"]["a"].as<int>(), 1);
  n = compose(x, {"extra.v="});  // empty value: the empty string
  EXPECT_EQ(n["extra"]["v"].as<std::string>(), "");
  // typed by the schema afterwards
  expect_error([&] { from_yaml(compose(p, {"train.steps=3e-4"})); },
               {"'train.steps'", "'3e-4'", "is not an integer"});
  expect_error([&] { from_yaml(compose(p, {"train.steps=[1,2]"})); },
               {"'train.steps'", "'[1, 2]'", "is not an integer"});
  expect_error([&] { from_yaml(compose(p, {"+train.foo=1"})); },
               {"unknown config key 'train.foo'"});
}

TEST_F(ConfigTree, OverrideErrors) {
  write("main.yaml", "train: {steps: 4}\n");
  const std::string p = (dir_ / "main.yaml").string();
  expect_error([&] { compose(p, {"optim.lrr=0.1"}); },
               {"override 'optim.lrr=0.1'", "key 'optim.lrr' does not exist", "did you mean 'optim.lr'", "+key=value"});
  expect_error([&] { compose(p, {"optm.lr=0.1"}); }, {"key 'optm.lr' does not exist", "did you mean 'optim.lr'"});
  expect_error([&] { compose(p, {"train.note=x"}); }, {"'train.note' does not exist"});  // optional: absent
  expect_error([&] { compose(p, {"+train.steps=3"}); },
               {"override '+train.steps=3'", "key 'train.steps' already exists", "++train.steps"});
  expect_error([&] { compose(p, {"~train.stepz"}); },
               {"override '~train.stepz'", "key 'train.stepz' does not exist", "did you mean 'train.steps'"});
  expect_error([&] { compose(p, {"train.steps.x=3"}); }, {"'train.steps' is not a mapping"});
  expect_error([&] { compose(p, {"+train.steps.x=3"}); }, {"'train.steps' is not a mapping"});
  for (const char* bad : {"train.steps", "+train.note", "=3", "train..steps=3", "train.steps =3", "~", "++=1",
                          "train.st eps=1"}) {
    SCOPED_TRACE(bad);
    expect_error([&] { compose(p, {bad}); }, {"malformed override '" + std::string(bad) + "'"});
  }
  expect_error([&] { compose(p, {"train.steps=[1,2"}); },
               {"malformed override 'train.steps=[1,2'", "cannot parse value"});
}

TEST(ConfigComposeDefaults, OverridesOnSchemaDefaults) {
  const Config c = from_yaml(compose_defaults({"train.steps=3", "+train.note=n", "optim.lr=2e-5"}));
  EXPECT_EQ(c.train.steps, 3);
  EXPECT_EQ(c.train.note, std::optional<std::string>("n"));
  EXPECT_EQ(c.optim.lr, 2e-5);
  EXPECT_EQ(c.model.dim, 256);
  expect_error([] { compose_defaults({"train.stepz=3"}); }, {"'train.stepz' does not exist", "'train.steps'"});
  // the new keys are in the schema defaults, so plain a.b=v overrides set them
  const Config o = from_yaml(compose_defaults({"train.objective=other", "jepa.target_layers=2", "jepa.loss=mse"}));
  EXPECT_EQ(o.train.objective, "other");
  EXPECT_EQ(o.jepa.target_layers, 2);
  EXPECT_EQ(o.jepa.loss, "mse");
}

// ---------------------------------------------------------------------------------------------------
// File errors
// ---------------------------------------------------------------------------------------------------
TEST_F(ConfigTree, MissingFiles) {
  expect_error([&] { run("nope.yaml"); }, {"config file", "nope.yaml", "not found"});
  write("main.yaml", "defaults: [ gone ]\n");
  expect_error([&] { run("main.yaml"); }, {"config file", "gone.yaml' not found", "defaults list of", "main.yaml"});
}

TEST_F(ConfigTree, YamlSyntaxErrorNamesFileAndLine) {
  write("bad.yaml", "train:\n  steps: 4\n  batch_size: [1, 2\nrun: {dir: x}\n");
  expect_error([&] { run("bad.yaml"); }, {"config file", "bad.yaml", "YAML syntax error at line"});
  write_groups();
  write("model/broken.yaml", "dim: [1, 2\n");
  write("main.yaml", "defaults: [ {model: broken} ]\n");
  expect_error([&] { run("main.yaml"); }, {"model/broken.yaml", "YAML syntax error at line "});
  write("list.yaml", "- a\n- b\n");
  expect_error([&] { run("list.yaml"); }, {"list.yaml", "top level must be a mapping"});
  write("baddefaults.yaml", "defaults: {model: tiny}\n");
  expect_error([&] { run("baddefaults.yaml"); }, {"baddefaults.yaml", "'defaults' must be a list"});
  write("badentry.yaml", "defaults: [ [a, b] ]\n");
  expect_error([&] { run("badentry.yaml"); }, {"badentry.yaml", "bad defaults entry"});
}

TEST_F(ConfigTree, IncludeCycleIsAnError) {
  write("a.yaml", "defaults: [ b ]\n");
  write("b.yaml", "defaults: [ c ]\n");
  write("c.yaml", "defaults: [ a ]\n");
  expect_error([&] { run("a.yaml"); }, {"config include cycle", "a.yaml -> ", "b.yaml -> ", "c.yaml -> ", "a.yaml"});
  write("self.yaml", "defaults: [ self ]\n");
  expect_error([&] { run("self.yaml"); }, {"config include cycle", "self.yaml -> "});
  // a diamond (same file twice, no cycle) is fine
  write("leaf.yaml", "train: {steps: 3}\n");
  write("l.yaml", "defaults: [ leaf ]\n");
  write("r.yaml", "defaults: [ leaf ]\n");
  write("d.yaml", "defaults: [ l, r ]\n");
  EXPECT_EQ(run("d.yaml").train.steps, 3);
}

// ---------------------------------------------------------------------------------------------------
// The shipped configs/
// ---------------------------------------------------------------------------------------------------
TEST(ConfigShipped, SmokePreset) {
  const Config c = from_yaml(compose(src("configs/smoke.yaml"), {}));
  EXPECT_EQ(c.model.name, "tiny");
  EXPECT_EQ(c.model.dim, 256);
  EXPECT_EQ(c.model.layers, 4);
  EXPECT_EQ(c.model.heads, 4);
  EXPECT_EQ(c.model.ff_dim, 2048);
  EXPECT_EQ(c.model.dropout, 0.1);
  EXPECT_EQ(c.model.pred_hidden_mult, 2);
  EXPECT_EQ(c.jepa.ema_m, 0.95);
  EXPECT_EQ(c.jepa.mask_ratio, 0.3);
  EXPECT_EQ(c.jepa.mean_span_len, 5.0);
  EXPECT_EQ(c.optim.lr, 1e-4);
  EXPECT_EQ(c.optim.weight_decay, 0.01);
  EXPECT_EQ(c.optim.warmup_steps, 20);
  EXPECT_EQ(c.train.batch_size, 8);
  EXPECT_EQ(c.train.steps, 200);
  EXPECT_EQ(c.train.log_every, 25);
  EXPECT_EQ(c.train.save_every, 100);
  EXPECT_EQ(c.data.path, "datasets/build/shipped.h5");
  EXPECT_EQ(c.data.max_length, 128);
  EXPECT_EQ(c.run.dir, "runs/smoke");
}

TEST(ConfigShipped, BasePreset) {
  const Config c = from_yaml(compose(src("configs/base.yaml"), {}));
  EXPECT_EQ(c.optim.lr, 2e-5);
  EXPECT_EQ(c.jepa.ema_m, 0.99);
  EXPECT_EQ(c.model.pred_hidden_mult, 4);
  EXPECT_EQ(c.train.batch_size, 8);
  EXPECT_EQ(c.train.steps, 500);
  EXPECT_EQ(c.optim.warmup_steps, 50);
  EXPECT_EQ(c.train.log_every, 25);
  EXPECT_EQ(c.train.save_every, 200);
  EXPECT_EQ(c.jepa.mask_ratio, 0.3);
  EXPECT_EQ(c.jepa.mean_span_len, 5.0);
  EXPECT_EQ(c.optim.weight_decay, 0.01);
  EXPECT_EQ(c.data.max_length, 128);
  EXPECT_EQ(c.train.seed, 42);
  EXPECT_EQ(c.model.name, "distilbert");
  EXPECT_EQ(c.model.dim, 768);
  EXPECT_EQ(c.run.dir, "runs/base");
}

TEST(ConfigShipped, GroupSelectionAndOverridesOnShippedConfigs) {
  const Config c = from_yaml(compose(src("configs/smoke.yaml"), {"data=fortunes", "optim.lr=3e-4", "+train.note=x"}));
  EXPECT_EQ(c.data.path, "datasets/build/fortunes.h5");
  EXPECT_DOUBLE_EQ(c.optim.lr, 3e-4);
  EXPECT_EQ(c.train.note, std::optional<std::string>("x"));
  expect_error([] { compose(src("configs/smoke.yaml"), {"data=nope"}); }, {"available: fortunes, shipped"});
  // every group file alone is a valid section
  for (const char* f : {"model/tiny", "optim/adamw", "data/shipped", "data/fortunes"}) {
    SCOPED_TRACE(f);
    EXPECT_NO_THROW(from_yaml(compose(src("configs/smoke.yaml"),
                                      {std::string(f).substr(0, std::string(f).find('/')) + "=" +
                                       std::string(f).substr(std::string(f).find('/') + 1)})));
  }
  // the resolved text round-trips
  const std::string text = to_yaml_string(c);
  EXPECT_EQ(to_yaml_string(from_yaml(YAML::Load(text))), text);
}

// Every primary config shipped (presets and recipes) composes and validates. A model directory is not shipped (it is
// made by launch/models.sh), so a config naming one is validated with the same sizes as a random bert.
TEST(ConfigShipped, EveryPresetAndRecipeComposesAndValidates) {
  int checked = 0;
  for (const char* dir : {"configs", "configs/recipe"}) {
    if (!std::filesystem::is_directory(src(dir))) continue;
    for (const auto& e : std::filesystem::directory_iterator(src(dir))) {
      if (e.path().extension() != ".yaml") continue;
      SCOPED_TRACE(e.path().string());
      const YAML::Node tree = compose(e.path().string(), {});
      const std::string name = tree["model"] && tree["model"]["name"] ? tree["model"]["name"].as<std::string>() : "tiny";
      const bool builtin = name == "tiny" || name == "bert" || name == "distilbert";
      EXPECT_NO_THROW(from_yaml(builtin ? tree : compose(e.path().string(), {"model.name=bert"})));
      ++checked;
    }
  }
  EXPECT_GE(checked, 2);
}
