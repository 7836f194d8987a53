#include "train/checkpoint.hpp"

#include <torch/optim/adamw.h>

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_EXCHANGE (glibc >= 2.28)
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "model/safetensors.hpp"

namespace fs = std::filesystem;

namespace jepa::train {
namespace {

void fsync_path(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot open '" + p.string() + "' for writing: " + std::strerror(errno));
  out << text;
  out.flush();
  out.close();
  if (out.fail()) throw std::runtime_error("write failed for '" + p.string() + "' (" + std::strerror(errno) + ")");
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("checkpoint '" + p.parent_path().string() + "': missing " + p.filename().string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Atomically replaces `p` with `text`.
void replace_file(const fs::path& p, const std::string& text) {
  const fs::path tmp = p.string() + ".tmp";
  write_text(tmp, text);
  fsync_path(tmp);
  fs::rename(tmp, p);
  fsync_path(p.parent_path());
}

}  // namespace

std::string checkpoint_name(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step_%07lld", static_cast<long long>(step));
  return buf;
}

namespace {
// Every file of a checkpoint into `tmp`, fsynced.
void write_checkpoint_files(const fs::path& tmp, const model::JepaImpl& model, torch::optim::Optimizer& optimizer,
                            const TrainerState& state, const std::string& config_yaml,
                            const std::map<std::string, torch::Tensor>& rng);
// Renames `tmp` into place, points `latest` at it and prunes to `keep`; returns the checkpoint's directory.
std::string publish_checkpoint(const std::string& root, const fs::path& tmp, const fs::path& final_dir, int64_t keep,
                               int64_t step);
}  // namespace

std::string save_checkpoint(const std::string& root, const model::JepaImpl& model, torch::optim::Optimizer& optimizer,
                            const TrainerState& state, const std::string& config_yaml, int64_t keep,
                            const std::map<std::string, torch::Tensor>& rng) {
  fs::create_directories(root);
  const fs::path final_dir = fs::path(root) / checkpoint_name(state.step);
  const fs::path tmp = fs::path(root) / (checkpoint_name(state.step) + ".tmp." + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  // A failed write (disk full, quota, I/O error) removes the temporary directory and reports the file and the cause
  // in one line; the previous checkpoints and `latest` are untouched because nothing below has renamed anything yet.
  try {
    write_checkpoint_files(tmp, model, optimizer, state, config_yaml, rng);
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    const auto* c10e = dynamic_cast<const c10::Error*>(&e);
    std::string what = c10e ? c10e->what_without_backtrace() : e.what();
    what = what.substr(0, what.find('\n'));
    const auto previous = latest_checkpoint(root);
    throw std::runtime_error("checkpoint for step " + std::to_string(state.step) + " not written: " + what +
                             "; removed " + tmp.string() +
                             (previous ? "; the last good checkpoint " + *previous + " is untouched" : ""));
  }
  return publish_checkpoint(root, tmp, final_dir, keep, state.step);
}

namespace {
void write_checkpoint_files(const fs::path& tmp, const model::JepaImpl& model, torch::optim::Optimizer& optimizer,
                            const TrainerState& state, const std::string& config_yaml,
                            const std::map<std::string, torch::Tensor>& rng) {
  model::save_safetensors((tmp / "model.safetensors").string(), model.state(), {{"step", std::to_string(state.step)}});
  {
    // Serialised in memory and written by us: LibTorch's file writer aborts the process when a write fails.
    torch::serialize::OutputArchive archive;
    optimizer.save(archive);
    std::ostringstream bytes;
    archive.save_to(bytes);
    write_text(tmp / "optimizer.pt", bytes.str());
  }
  model::save_safetensors((tmp / "rng_state.safetensors").string(), rng);
  nlohmann::ordered_json js = {{"step", state.step},
                               {"consumed_samples", state.consumed_samples},
                               {"global_batch", state.global_batch},
                               {"world_size", state.world_size},
                               {"window_loss_sum", state.window_loss_sum},
                               {"window_steps", state.window_steps},
                               {"window_tokens", state.window_tokens},
                               {"window_positions", state.window_positions},
                               {"data_order", state.data_order}};
  write_text(tmp / "trainer_state.json", js.dump(2) + "\n");
  write_text(tmp / "config.yaml", config_yaml);
  for (const auto& f : fs::directory_iterator(tmp)) fsync_path(f.path());
  fsync_path(tmp);
}

std::string publish_checkpoint(const std::string& root, const fs::path& tmp, const fs::path& final_dir, int64_t keep,
                               int64_t step) {
  fs::path saved = final_dir;
  if (!fs::exists(final_dir)) {
    fs::rename(tmp, final_dir);
  } else if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_EXCHANGE) == 0) {
    // Re-saving a step: the directories were swapped atomically, so `latest` never named a missing directory.
    fs::remove_all(tmp);
  } else {
    // No atomic exchange on this filesystem (NFS, Lustre): keep the old directory and point `latest` at a new name.
    saved = fs::path(root) / (checkpoint_name(step) + ".r" + std::to_string(::getpid()));
    fs::remove_all(saved);
    fs::rename(tmp, saved);
  }
  fsync_path(root);
  replace_file(fs::path(root) / "latest", saved.filename().string() + "\n");

  // Keep the newest `keep` complete checkpoints up to this step (by step number; directories of later steps belong
  // to another branch of history and are left alone); stale temp dirs of crashed writers go too (`tmp` itself has
  // been renamed or removed above).
  remove_stale_temporaries(root);
  std::vector<std::pair<int64_t, fs::path>> done;
  for (const auto& e : fs::directory_iterator(root)) {
    const auto name = e.path().filename().string();
    if (!e.is_directory() || name.rfind("step_", 0) != 0) continue;
    const int64_t dir_step = std::strtoll(name.c_str() + 5, nullptr, 10);
    if (dir_step <= step) done.emplace_back(dir_step, e.path());
  }
  std::sort(done.begin(), done.end());
  for (size_t i = 0; i + static_cast<size_t>(keep) < done.size(); ++i)
    if (done[i].second != saved) fs::remove_all(done[i].second);
  return saved.string();
}
}  // namespace

std::vector<std::string> remove_stale_temporaries(const std::string& root) {
  std::vector<std::string> removed;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return removed;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const auto name = e.path().filename().string();
    if (e.is_directory(ec) && name.rfind("step_", 0) == 0 && name.find(".tmp.") != std::string::npos) {
      fs::remove_all(e.path(), ec);
      removed.push_back(e.path().string() + (ec ? " (could not remove: " + ec.message() + ")" : ""));
    }
  }
  return removed;
}

std::optional<std::string> latest_checkpoint(const std::string& root) {
  const fs::path pointer = fs::path(root) / "latest";
  if (!fs::exists(pointer)) return std::nullopt;
  const std::string text = read_text(pointer);
  std::string name = text;
  name.erase(name.find_last_not_of(" \n\r\t") + 1);
  // One directory name of this root: whitespace, a path or "." / ".." would resolve to somewhere else (an empty
  // name to the root itself).
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == ".." ||
      name.find_first_of(" \t\r\n") != std::string::npos) {
    std::string shown;
    for (const char c : text.substr(0, 60)) shown += (c == '\n' ? std::string("\\n") : std::string(1, c));
    throw std::runtime_error("checkpoint pointer '" + pointer.string() + "' does not name a checkpoint directory ('" +
                             shown + "'); fix or delete it");
  }
  const fs::path dir = fs::path(root) / name;
  if (!fs::is_directory(dir))
    throw std::runtime_error("checkpoint pointer '" + pointer.string() + "' names missing directory '" + name + "'");
  return dir.string();
}

std::string find_checkpoint(const std::string& p) {
  std::error_code ec;
  if (!fs::exists(p, ec)) throw std::runtime_error("checkpoint '" + p + "' does not exist");
  if (!fs::is_directory(p, ec)) throw std::runtime_error("checkpoint '" + p + "' is not a directory");
  if (fs::exists(fs::path(p) / "model.safetensors", ec)) return p;
  for (const fs::path& root : {fs::path(p), fs::path(p) / "checkpoints"})
    if (fs::exists(root / "latest", ec)) {
      if (auto d = latest_checkpoint(root.string())) return *d;
    }
  throw std::runtime_error("checkpoint '" + p + "' has no model.safetensors and no `latest` pointer (nor checkpoints/latest)");
}

std::optional<std::string> resolve_resume(const std::string& resume, const std::string& root) {
  if (resume == "none" || resume.empty()) return std::nullopt;
  if (resume == "auto") return latest_checkpoint(root);
  if (!fs::exists(resume)) throw std::runtime_error("train.resume: '" + resume + "' does not exist");
  // A directory without model.safetensors or `latest` is still handed to load_checkpoint, which names what is missing.
  if (fs::exists(fs::path(resume) / "latest") || fs::exists(fs::path(resume) / "checkpoints" / "latest"))
    return find_checkpoint(resume);
  return resume;
}

void place_optimizer_state(torch::optim::Optimizer& optimizer) {
  auto& state = optimizer.state();
  for (const auto& group : optimizer.param_groups())
    for (const auto& p : group.params()) {
      const auto it = state.find(p.unsafeGetTensorImpl());
      if (it == state.end()) continue;
      auto* adamw = dynamic_cast<torch::optim::AdamWParamState*>(it->second.get());
      if (!adamw) continue;
      if (adamw->exp_avg().defined()) adamw->exp_avg(adamw->exp_avg().to(p.device()));
      if (adamw->exp_avg_sq().defined()) adamw->exp_avg_sq(adamw->exp_avg_sq().to(p.device()));
      if (adamw->max_exp_avg_sq().defined()) adamw->max_exp_avg_sq(adamw->max_exp_avg_sq().to(p.device()));
    }
}

TrainerState load_checkpoint(const std::string& dir, model::JepaImpl& model, torch::optim::Optimizer& optimizer,
                             std::map<std::string, torch::Tensor>* rng) {
  const fs::path d(dir);
  if (!fs::is_directory(d)) throw std::runtime_error("checkpoint '" + dir + "' is not a directory");
  for (const char* f : {"model.safetensors", "optimizer.pt", "rng_state.safetensors", "trainer_state.json"})
    if (!fs::exists(d / f)) throw std::runtime_error("checkpoint '" + dir + "': missing " + f);

  TrainerState st;
  try {
    const auto js = nlohmann::json::parse(read_text(d / "trainer_state.json"));
    st.step = js.at("step").get<int64_t>();
    st.consumed_samples = js.at("consumed_samples").get<int64_t>();
    st.global_batch = js.at("global_batch").get<int64_t>();
    st.world_size = js.at("world_size").get<int64_t>();
    st.window_loss_sum = js.at("window_loss_sum").get<double>();
    st.window_steps = js.at("window_steps").get<int64_t>();
    st.window_tokens = js.at("window_tokens").get<int64_t>();
    st.window_positions = js.value("window_positions", int64_t{0});  // absent before padded_tokens existed
    st.data_order = js.value("data_order", int64_t{1});
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("checkpoint '" + dir + "': trainer_state.json is corrupt (" + e.what() + ")");
  }
  try {
    model.load_state(model::load_safetensors((d / "model.safetensors").string()));
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint '" + dir + "': " + e.what());
  }
  try {
    // Onto this rank's device (a checkpoint saved by cuda:0 resumed by the rank on cuda:3), then each state onto its
    // own parameter's device in case parameters are spread over several.
    const auto& groups = optimizer.param_groups();
    std::optional<torch::Device> device;
    if (!groups.empty() && !groups.front().params().empty()) device = groups.front().params().front().device();
    torch::serialize::InputArchive archive;
    archive.load_from((d / "optimizer.pt").string(), device);
    optimizer.load(archive);
    place_optimizer_state(optimizer);
  } catch (const c10::Error& e) {
    throw std::runtime_error("checkpoint '" + dir + "': optimizer.pt is corrupt or does not match the model");
  }
  try {
    *rng = model::load_safetensors((d / "rng_state.safetensors").string());
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint '" + dir + "': " + e.what());
  }
  return st;
}

}  // namespace jepa::train
