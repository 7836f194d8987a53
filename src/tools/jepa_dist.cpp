// jepa_dist: trains a text encoder with the JEPA objective.
//   jepa_dist [--config configs/smoke.yaml] [--print-config] [key=value | +key=value | ++key=value | ~key | group=option ...]
// Exit codes: 0 done, 1 runtime error, 2 bad configuration or usage.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include "config/compose.hpp"
#include "config/config.hpp"
#include "train/trainer.hpp"

namespace {

void usage(std::ostream& out) {
  out << "usage: jepa_dist [--config FILE.yaml] [--print-config] [overrides...]\n"
         "  overrides: a.b=v (existing key), +a.b=v (add), ++a.b=v (add or set), ~a.b (delete), group=option\n"
         "  without --config the built-in defaults (the smoke preset) are used\n";
}

int local_ranks() {
  for (const char* v : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"})
    if (const char* s = std::getenv(v)) return std::max(1, std::atoi(s));
  return 1;
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
    torch::set_num_threads(jepa::train::choose_threads(cfg.train.threads, local_ranks()));
    jepa::train::Trainer trainer(cfg);
    trainer.fit();
  } catch (const std::exception& e) {
    std::cerr << "jepa_dist: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
