// jepa_dist: trains a text encoder with the JEPA objective, on one process or many (mpirun / srun).
//   jepa_dist [--config configs/smoke.yaml] [--print-config] [key=value | +key=value | ++key=value | ~key | group=option ...]
// Exit codes: 0 done (or stopped cleanly by SIGTERM/SIGUSR1 after a checkpoint), 1 runtime error, 2 bad configuration.
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "tools/cli_args.hpp"
#include "config/compare.hpp"
#include "config/compose.hpp"
#include "config/config.hpp"
#include "distributed/control.hpp"
#include "distributed/world.hpp"
#include "train/trainer.hpp"

namespace {

void usage(std::ostream& out) {
  out << "usage: jepa_dist [--config FILE.yaml] [--print-config] [overrides...]\n"
         "  overrides: a.b=v (existing key), +a.b=v (add), ++a.b=v (add or set), ~a.b (delete), group=option\n"
         "  without --config the built-in defaults (the smoke preset) are used\n"
         "  multi-process: mpirun -np N jepa_dist ... (see launch/run.sh and cluster/)\n";
}

// Every rank must train the same configuration. An MPMD launch with other arguments per rank, or config files that
// differ between nodes, would otherwise fail inside a collective (mismatched buffers: an MPI error dump) or train
// inconsistently. Returns "" or one line naming the first rank and key that differ from rank 0's; every rank gets
// the same answer.
std::string config_disagreement(jepa::distributed::Control& control, const std::string& yaml) {
  jepa::distributed::IoScope io(control);  // start-up: ranks may arrive late from a slow file system
  const auto all = control.allgather_bytes(yaml, "configuration check");
  for (size_t r = 1; r < all.size(); ++r) {
    if (all[r] == all[0]) continue;
    const auto d = jepa::config::first_difference(all[0], all[r]);
    return "ranks disagree on the configuration: rank 0 has " + (d ? d->first : std::string("(same settings)")) +
           ", rank " + std::to_string(r) + " has " + (d ? d->second : std::string("(other text)")) +
           " (every rank needs the same --config, overrides and config files)";
  }
  return "";
}

// Errors are one line; LibTorch's without their C++ backtrace.
std::string one_line(const std::exception& e) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  return jepa::tools::one_line(c10 ? c10->what_without_backtrace() : e.what());
}


// train.threads = 0: this rank's allowed CPUs shared with the ranks on its host whose CPU sets overlap it
// (train::choose_threads); every rank's set is gathered with its host name.
int threads_for_rank(int64_t requested, jepa::distributed::Control& control) {
  const auto mine = jepa::train::allowed_cpus();
  std::string text = control.world().host + ":";
  for (int c : mine) text += std::to_string(c) + ",";
  std::vector<std::vector<int>> host_ranks;
  for (const auto& r : control.allgather_bytes(text, "cpu affinity")) {
    const auto colon = r.rfind(':');
    if (r.substr(0, colon) != control.world().host) continue;
    std::vector<int> cpus;
    std::stringstream in(r.substr(colon + 1));
    for (std::string c; std::getline(in, c, ',');)
      if (!c.empty()) cpus.push_back(std::stoi(c));
    host_ranks.push_back(std::move(cpus));
  }
  return jepa::train::choose_threads(requested, mine, host_ranks);
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool print_config = false;
  std::vector<std::string> overrides;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      usage(std::cout);
      return 0;
    } else if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if (a == "--print-config") {
      print_config = true;
    } else if (a.rfind("--", 0) == 0) {
      std::cerr << "jepa_dist: error: unknown option " << a << "\n";
      usage(std::cerr);
      return 2;
    } else {
      overrides.push_back(a);
    }
  }

  // Every rank composes the same config from the same files, so every rank fails alike on a bad one.
  jepa::config::Config cfg;
  try {
    cfg = jepa::config::from_yaml(config_path.empty() ? jepa::config::compose_defaults(overrides)
                                                      : jepa::config::compose(config_path, overrides));
  } catch (const jepa::config::ConfigError& e) {
    std::cerr << "jepa_dist: config error: " << e.what() << "\n";
    return 2;
  }
  if (print_config) {
    std::cout << jepa::config::to_yaml_string(cfg);
    return 0;
  }

  try {
    jepa::distributed::Session session(&argc, &argv);
    const auto& world = session.world();
    jepa::train::install_stop_signals();
    jepa::distributed::Control control(world, cfg.dist.timeout_s, cfg.dist.io_timeout_s);
    torch::set_num_threads(threads_for_rank(cfg.train.threads, control));
    if (world.size > 1) {
      // Every rank sees every configuration, so all fail alike: rank 0 says why, and no rank is left waiting.
      const auto why = config_disagreement(control, jepa::config::to_yaml_string(cfg));
      if (!why.empty()) {
        if (world.rank == 0) std::cerr << "jepa_dist: error: " << why << "\n";
        return 1;
      }
    }
    try {
      jepa::train::Trainer trainer(cfg, &control);
      trainer.fit();
    } catch (const std::exception& e) {
      std::cerr << "jepa_dist: error: rank " << world.rank << ": " << one_line(e) << "\n";
      // Other ranks may be inside a collective: end them all rather than leave them waiting.
      if (world.size > 1) jepa::distributed::abort_job(1);
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "jepa_dist: error: " << one_line(e) << "\n";
    return 1;
  }
  return 0;
}
