#include "eval/labelled.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <stdexcept>

namespace jepa::eval {

LabelledTexts read_labelled_tsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("labelled set '" + path + "' cannot be read");
  LabelledTexts l;
  l.path = path;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    if (tab == std::string::npos || tab == 0 || tab + 1 == line.size())
      throw std::runtime_error(path + ":" + std::to_string(n) + ": expected label<TAB>sentence");
    l.labels.push_back(line.substr(0, tab));
    l.texts.push_back(line.substr(tab + 1));
    l.lines.push_back(n);
  }
  if (in.bad()) throw std::runtime_error("labelled set '" + path + "': read error");
  return l;
}

ClassIds class_ids(const LabelledTexts& train, const LabelledTexts& test) {
  ClassIds ids;
  std::map<std::string, int64_t> index;
  for (const auto& l : train.labels) index.emplace(l, 0);
  if (index.size() < 2)
    throw std::runtime_error("probe training set '" + train.path + "' has " + std::to_string(index.size()) +
                             " class(es); a probe needs at least 2");
  for (auto& [name, id] : index) {
    id = static_cast<int64_t>(ids.names.size());
    ids.names.push_back(name);
  }
  for (const auto& l : train.labels) ids.train.push_back(index.at(l));
  for (size_t i = 0; i < test.labels.size(); ++i) {
    const auto it = index.find(test.labels[i]);
    if (it == index.end())
      throw std::runtime_error(test.path + ":" + std::to_string(test.lines[i]) + ": label '" + test.labels[i] +
                               "' does not occur in the probe training set '" + train.path + "'");
    ids.test.push_back(it->second);
  }
  if (ids.test.empty()) throw std::runtime_error("probe test set '" + test.path + "' has no examples");
  return ids;
}

}  // namespace jepa::eval
