#pragma once
// Typed, validated configuration. Composition (defaults lists, overrides) lives in compose.hpp;
// this file is the schema every other part of jepa_dist reads.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace YAML { class Node; }

namespace jepa::config {

// Every user error in configuration: one line, names the key/file; the tool exits with code 2. Control characters
// the user typed (a newline inside an override) are shown escaped (\n, \xNN), so the message stays one exact line.
struct ConfigError : std::runtime_error {
  explicit ConfigError(const std::string& what);
};

struct ModelConfig {
  std::string name = "tiny";     // tiny | bert | distilbert | a local HF model dir (model/encoder.hpp)
  int64_t dim = 256;
  int64_t layers = 4;
  int64_t heads = 4;
  int64_t ff_dim = 2048;
  double dropout = 0.1;
  int64_t max_positions = 512;
  int64_t pred_hidden_mult = 2;
  double pred_dropout = 0.0;
  int64_t kv_heads = 0;           // llama: key/value heads (grouped-query attention); 0 = model.heads
  double rope_theta = 10000.0;    // llama: rotary position embedding base
  double norm_eps = 1e-5;         // llama: RMSNorm epsilon
  bool tie_embeddings = false;    // llama: the output head reuses the token embedding
  std::string init = "independent";  // independent | shared (every encoder layer starts as a copy of the first,
                                     // as the reference's nn.TransformerEncoder does)
};

struct JepaConfig {
  double mask_ratio = 0.3;
  double mean_span_len = 5;
  double ema_m = 0.95;
  std::string ema_schedule = "constant";  // constant | linear (I-JEPA) | cosine (BYOL): ema_m -> ema_m_end
  double ema_m_end = 1.0;
  bool target_eval = true;                // reference runs the target in train mode (noisy); we default to eval
  int64_t target_layers = 1;              // targets: mean of the target encoder's top K layer outputs (1 = last)
  std::string target_norm = "none";       // none | layer | instance: each layer normalised before the mean
  std::string loss = "cosine";            // per masked position: cosine (1 - cos) | mse | smooth_l1
  double vc_weight = 0.0;                 // VICReg variance + covariance terms on the predictions (0 = off)
  double var_target = 1.0;                // VICReg's γ: the per-feature std the variance hinge asks for
  // LLM-JEPA (train.objective=llm_jepa, design.md §9): loss = gamma·NTP + lambda·distance(Enc(text ⊕ [PRED]×k), Enc(code))
  double lambda = 1.0;                    // weight of the JEPA term (0 = next-token loss only)
  double gamma = 1.0;                     // weight of the next-token term
  int64_t pred_tokens = 0;                // k [PRED] tokens appended to the text view (0: Enc(text) itself)
  std::string distance = "cosine";        // cosine | mse | l2 | infonce
  double infonce_temperature = 0.07;      // jepa.distance=infonce: softmax temperature over the global batch
  double loss_dropout = 0.0;              // fraction of steps that skip the JEPA rows (NTP only)
  bool packed = true;                     // both views in one block-causal row (2 rows per example, not 3)
};

struct OptimConfig {
  double lr = 1e-4;
  double weight_decay = 0.01;
  int64_t warmup_steps = 50;
  double grad_clip = 1.0;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double predictor_lr_mult = 1.0;  // the predictor's lr = lr x this (a fresh predictor on a pretrained encoder)
};

struct TrainConfig {
  std::string objective = "jepa";  // training objective, by its registered name (src/objective/)
  int64_t steps = 500;
  int64_t batch_size = 8;          // per rank and micro-batch
  int64_t grad_accum = 1;          // micro-batches per optimizer step (gradients reduced once, on the last)
  int64_t log_every = 25;
  int64_t save_every = 200;
  int64_t seed = 42;
  std::string device = "auto";     // auto | cpu | cuda
  int64_t threads = 0;             // intra-op threads; 0 = cores / local ranks
  int64_t keep_checkpoints = 3;
  std::string resume = "none";     // none | auto | <checkpoint dir>
  bool detect_anomaly = false;     // autograd anomaly detection (debugging; slow)
  std::string precision = "fp32";  // fp32 | bf16 (CUDA autocast; master weights, optimizer and EMA stay fp32)
  std::string on_nonfinite = "stop";  // stop | skip: a step whose gradient norm is not finite (NaN/inf loss)
  bool profile = false;            // time each phase of the step (metrics.jsonl time_*); waits for the device
  std::optional<std::string> note;
};

struct DataConfig {
  std::string path = "datasets/build/shipped.h5";
  int64_t max_length = 128;
  std::optional<std::string> vocab;     // if set, the corpus must have been made with this vocab.txt
  std::optional<int64_t> max_docs;
  bool group_by_length = false;  // sort each window of global batches by length: less padding, another batch order
  int64_t length_window = 64;    // global batches per sorting window (data.group_by_length; design.md §3)
  bool prefetch = true;          // build the next step's batch on a worker thread while this step runs
  std::string padding_side = "right";  // paired corpora: where rows are padded (right | left; results are equal)
};

struct DistConfig {
  std::string backend = "auto";    // auto | mpi | nccl
  double bucket_mb = 25;           // gradient bucket size
  bool overlap = true;             // all-reduce buckets during backward (false: after backward)
  bool sparse_embedding = true;    // all-reduce only the token-embedding rows some rank's batch touched (exact)
  int64_t check_sync_every = 100;  // steps between cross-rank weight checksums (0 = only at checkpoints)
  double timeout_s = 300;          // a collective slower than this aborts the job
  double io_timeout_s = 3600;      // the same for waits that cover file I/O (start-up, checkpoint writes)
  std::string grad_dtype = "fp32"; // fp32 | bf16: dtype gradients are all-reduced in (bf16 halves the bytes)
  std::string fault = "none";      // test-only fault injection: <kind>@<rank>:<step> (fault.hpp)
};

struct EvalConfig {
  int64_t every = 0;         // steps between held-out evaluations (0 = off); a multiple of train.log_every
  std::string data;          // held-out corpus (HDF5); empty = the last eval.docs documents of the training corpus,
                             // which are then left out of training
  int64_t docs = 512;        // documents evaluated (the first eval.docs of eval.data)
  int64_t batch_size = 32;
};

struct MonitorConfig {
  double min_std = 0.01;             // warn when the mean per-dimension std of target embeddings falls below
  double min_effective_rank = 2.0;   // warn when the effective rank of the embeddings falls below
  double max_mean_cosine = 1.0;      // warn when their mean pairwise cosine rises above (1 = never)
  std::string on_collapse = "warn";  // warn | stop (checkpoint, then exit non-zero naming the threshold)
};

struct RunConfig {
  std::string dir = "runs/smoke";
};

struct LogConfig {
  std::string color = "auto";  // auto | always | never; auto = a terminal, no launcher, NO_COLOR unset (log.hpp)
  bool tensorboard = false;    // rank 0 also writes metrics.jsonl's scalars as TensorBoard events to run.dir/tb/
};

struct Config {
  ModelConfig model;
  JepaConfig jepa;
  OptimConfig optim;
  TrainConfig train;
  DataConfig data;
  DistConfig dist;
  EvalConfig eval;
  MonitorConfig monitor;
  RunConfig run;
  LogConfig log;
};

// Typed view of a composed YAML tree. Unknown key -> ConfigError naming it and the closest valid key;
// wrong type -> ConfigError naming key, value and expected type; out-of-range values likewise.
Config from_yaml(const YAML::Node& root);
// The schema's defaults as YAML (the base layer under every composed config).
YAML::Node defaults_yaml();
// Resolved config as YAML text (written to run.dir/config.yaml and into each checkpoint).
std::string to_yaml_string(const Config& cfg);

}  // namespace jepa::config
