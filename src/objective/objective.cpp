#include "objective/objective.hpp"

#include <mutex>
#include <stdexcept>

#include "objective/jepa_objective.hpp"
#include "objective/llm_jepa_objective.hpp"

namespace jepa::objective {
namespace {

// Built-ins are added here explicitly, not by static initialisers in their own files: the linker drops unreferenced
// object files of a static library, and self-registration would silently vanish with them.
std::map<std::string, Factory>& registry() {
  static std::map<std::string, Factory> r = {
      {"jepa", [](const config::Config& cfg) { return std::make_unique<JepaObjective>(cfg.jepa); }},
      {"llm_jepa", [](const config::Config& cfg) { return std::make_unique<LlmJepaObjective>(cfg); }},
  };
  return r;
}
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

void Objective::bind(Collectives c) {
  if (!c.sum) throw std::runtime_error("Objective::bind: no sum function");
  collectives_ = std::move(c);
}

torch::Tensor global_sum(const Collectives& c, const torch::Tensor& local) {
  if (c.size == 1) return local;
  // x - x.detach() is exactly 0 with x's gradient: the value is the global sum to the bit.
  return c.sum(local.detach()) + (local - local.detach());
}

int64_t once_count(const Collectives& c) { return c.rank == 0 ? 1 : 0; }

Term once_term(const Collectives& c, std::string name, const torch::Tensor& value, double weight) {
  if (once_count(c) == 1) return {std::move(name), value, 1, weight};
  return {std::move(name), value - value.detach(), 0, weight};
}

torch::Tensor combine(const Output& out, const std::vector<int64_t>& counts, std::vector<torch::Tensor>* means) {
  if (out.terms.empty()) throw std::runtime_error("objective returned no loss terms");
  if (counts.size() != out.terms.size()) throw std::runtime_error("combine: one count per loss term expected");
  torch::Tensor total;
  for (size_t k = 0; k < out.terms.size(); ++k) {
    const auto& term = out.terms[k];
    const auto mean = term.sum / static_cast<double>(std::max<int64_t>(1, counts[k]));
    if (means) means->push_back(mean);
    const auto weighted = term.weight == 1.0 ? mean : mean * term.weight;
    total = total.defined() ? total + weighted : weighted;
  }
  return total;
}

std::vector<int64_t> local_counts(const Output& out) {
  std::vector<int64_t> counts;
  for (const auto& term : out.terms) counts.push_back(term.count);
  return counts;
}

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
