#include "objective/objective.hpp"

#include <mutex>
#include <stdexcept>

#include "objective/jepa_objective.hpp"

namespace jepa::objective {
namespace {

// Built-ins are added here explicitly, not by static initialisers in their own files: the linker drops unreferenced
// object files of a static library, and self-registration would silently vanish with them.
std::map<std::string, Factory>& registry() {
  static std::map<std::string, Factory> r = {
      {"jepa", [](const config::Config& cfg) { return std::make_unique<JepaObjective>(cfg.jepa); }},
  };
  return r;
}
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

void register_objective(const std::string& name, Factory factory) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  if (name.empty()) throw std::runtime_error("register_objective: empty name");
  if (!registry().emplace(name, std::move(factory)).second)
    throw std::runtime_error("register_objective: objective '" + name + "' is already registered");
}

std::vector<std::string> objective_names() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::vector<std::string> out;
  for (const auto& [name, f] : registry()) out.push_back(name);
  return out;
}

std::unique_ptr<Objective> make_objective(const config::Config& cfg) {
  Factory factory;
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    const auto it = registry().find(cfg.train.objective);
    if (it != registry().end()) factory = it->second;
  }
  if (!factory) {
    std::string names;
    for (const auto& n : objective_names()) names += (names.empty() ? "" : ", ") + n;
    throw std::runtime_error("train.objective '" + cfg.train.objective + "' is not a registered objective (registered: " +
                             names + ")");
  }
  return factory(cfg);
}

}  // namespace jepa::objective
