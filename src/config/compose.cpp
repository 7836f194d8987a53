// Hydra-style composition. Two phases:
//   1. plan: walk the primary file's `defaults:` list (recursively through string includes), applying
//      command-line group selections, into a flat ordered list of "merge this YAML at this package";
//   2. merge the plan onto the schema defaults, then apply the key overrides in command-line order.
#include "config/compose.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/config.hpp"
#include "config/detail.hpp"

namespace jepa::config {

namespace {

namespace fs = std::filesystem;

// A non-inserting lookup (non-const operator[] on a yaml-cpp node inserts a null entry).
YAML::Node lookup(const YAML::Node& n, const std::string& key) { return n[key]; }

// ---- files --------------------------------------------------------------------------------------
YAML::Node load_file(const fs::path& path, const std::string& context) {
  const std::string name = path.string();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw ConfigError("config file '" + name + "' not found" + context);
  if (!fs::is_regular_file(path, ec)) throw ConfigError("config file '" + name + "' is not a regular file" + context);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("config file '" + name + "' cannot be read" + context);
  std::stringstream ss;
  ss << in.rdbuf();
  YAML::Node doc;
  try {
    doc = YAML::Load(ss.str());
  } catch (const YAML::ParserException& e) {
    throw ConfigError("config file '" + name + "': YAML syntax error at line " + std::to_string(e.mark.line + 1) +
                      ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const YAML::Exception& e) {
    throw ConfigError("config file '" + name + "': " + e.msg);
  }
  if (!doc.IsDefined() || doc.IsNull()) return YAML::Node(YAML::NodeType::Map);  // empty file
  if (!doc.IsMap()) throw ConfigError("config file '" + name + "': top level must be a mapping");
  for (const auto& kv : doc)
    if (!kv.first.IsScalar())
      throw ConfigError("config file '" + name + "': key '" + detail::render(kv.first) + "' is not a string");
  return doc;
}

std::vector<std::string> group_options(const fs::path& group_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(group_dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".yaml") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// ---- merging ------------------------------------------------------------------------------------
// Maps deep-merge; scalars, lists and nulls replace.
void merge_into(YAML::Node dst, const YAML::Node& src) {
  for (const auto& kv : src) {
    const std::string key = kv.first.Scalar();
    YAML::Node cur = lookup(dst, key);
    if (cur.IsDefined() && cur.IsMap() && kv.second.IsMap())
      merge_into(cur, kv.second);
    else
      dst[key] = YAML::Clone(kv.second);
  }
}

// The map at `path` under `root`, created (replacing non-maps) as needed.
YAML::Node ensure_map(YAML::Node root, const std::vector<std::string>& path) {
  YAML::Node node = root;
  for (const auto& seg : path) {
    // (a missing key gives an invalid node, which must not be reset(); look it up again instead)
    const YAML::Node child = lookup(node, seg);
    if (!child.IsDefined() || !child.IsMap()) node[seg] = YAML::Node(YAML::NodeType::Map);
    node.reset(lookup(node, seg));
  }
  return node;
}

// ---- phase 1: the plan --------------------------------------------------------------------------
struct Step {
  YAML::Node content;                // file content, `defaults` removed
  std::vector<std::string> package;  // where to merge it ([] = root, ["model"] for group model)
};

struct GroupChoice {
  std::string option;
  std::string raw;  // the command-line override, for messages
  bool used = false;
};

class Planner {
 public:
  Planner(fs::path root, std::map<std::string, GroupChoice>& choices) : root_(std::move(root)), choices_(choices) {}

  // Expands `file` (root-level include) into steps. Returns the index in `steps` of its _self_ step.
  size_t include(const fs::path& file, const std::string& context) {
    const std::string key = fs::weakly_canonical(file).string();
    auto it = std::find(stack_.begin(), stack_.end(), key);
    if (it != stack_.end()) {
      std::vector<std::string> chain(names_.begin() + (it - stack_.begin()), names_.end());
      chain.push_back(file.string());
      throw ConfigError("config include cycle: " + join(chain, " -> "));
    }
    YAML::Node doc = load_file(file, context);
    stack_.push_back(key);
    names_.push_back(file.string());

    YAML::Node defaults = lookup(doc, "defaults");
    doc.remove("defaults");
    const std::string name = file.string();
    const std::string in_list = " (in defaults list of '" + name + "')";

    std::vector<YAML::Node> entries;
    bool has_self = false;
    if (defaults.IsDefined() && !defaults.IsNull()) {
      if (!defaults.IsSequence()) throw ConfigError("config file '" + name + "': 'defaults' must be a list");
      for (const auto& e : defaults) {
        if (e.IsScalar() && e.Scalar() == "_self_") {
          if (has_self) throw ConfigError("config file '" + name + "': '_self_' appears twice in the defaults list");
          has_self = true;
        }
        entries.push_back(e);
      }
    }
    if (!has_self) entries.push_back(YAML::Node("_self_"));  // default: own content after all defaults

    size_t self_index = 0;
    for (const auto& e : entries) {
      if (e.IsScalar() && e.Scalar() == "_self_") {
        self_index = steps.size();
        steps.push_back({doc, {}});
      } else if (e.IsScalar()) {
        include(root_ / (e.Scalar() + ".yaml"), in_list);
      } else if (e.IsMap() && e.size() == 1 && e.begin()->first.IsScalar() &&
                 (e.begin()->second.IsScalar() || e.begin()->second.IsNull())) {
        const std::string group = e.begin()->first.Scalar();
        std::string option = e.begin()->second.IsNull() ? "" : e.begin()->second.Scalar();
        std::string ctx = in_list;
        auto c = choices_.find(group);
        if (c != choices_.end()) {
          option = c->second.option;
          c->second.used = true;
          ctx = " (override '" + c->second.raw + "')";
        }
        if (!option.empty()) add_group(group, option, ctx);  // `group: null` selects nothing
      } else {
        throw ConfigError("config file '" + name + "': bad defaults entry '" + detail::render(e) +
                          "' (expected 'name', 'group: option' or '_self_')");
      }
    }
    stack_.pop_back();
    names_.pop_back();
    return self_index;
  }

  void add_group(const std::string& group, const std::string& option, const std::string& context) {
    const fs::path dir = root_ / group;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
      throw ConfigError("config group '" + group + "' not found: no directory '" + dir.string() + "'" + context);
    const fs::path file = dir / (option + ".yaml");
    if (!fs::is_regular_file(file, ec))
      throw ConfigError("unknown option '" + option + "' for config group '" + group + "' (available: " +
                        join(group_options(dir), ", ") + ")" + context);
    YAML::Node doc = load_file(file, context);
    if (lookup(doc, "defaults").IsDefined())
      throw ConfigError("config file '" + file.string() +
                        "': a defaults list is not supported in group files (only in primary and included files)");
    steps.push_back({doc, split(group, '/')});
  }

  std::vector<Step> steps;

 private:
  fs::path root_;
  std::map<std::string, GroupChoice>& choices_;
  std::vector<std::string> stack_;  // canonical paths of files being expanded
  std::vector<std::string> names_;  // same, as the user would see them
};

// ---- phase 2: overrides -------------------------------------------------------------------------
struct Override {
  enum Kind { Set, Add, Force, Delete } kind = Set;
  std::string raw;
  std::string key;
  std::vector<std::string> path;
  bool has_value = false;
  YAML::Node value;
};

const char* kSyntax = "expected key=value, +key=value, ++key=value, ~key or ~key=value";

Override parse_override(const std::string& raw) {
  Override o;
  o.raw = raw;
  std::string s = raw;
  if (s.rfind("~", 0) == 0) {
    o.kind = Override::Delete;
    s = s.substr(1);
  } else if (s.rfind("++", 0) == 0) {
    o.kind = Override::Force;
    s = s.substr(2);
  } else if (s.rfind("+", 0) == 0) {
    o.kind = Override::Add;
    s = s.substr(1);
  }
  const size_t eq = s.find('=');
  if (eq == std::string::npos && o.kind != Override::Delete)
    throw ConfigError("malformed override '" + raw + "': " + kSyntax);
  o.key = s.substr(0, eq);
  o.path = split(o.key, '.');
  for (const auto& seg : o.path) {
    const bool ok = !seg.empty() && std::all_of(seg.begin(), seg.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
    if (!ok) throw ConfigError("malformed override '" + raw + "': bad key '" + o.key + "' (" + kSyntax + ")");
  }
  if (eq != std::string::npos) {
    o.has_value = true;
    const std::string text = s.substr(eq + 1);
    if (text.empty()) {
      o.value = YAML::Node(std::string());  // `key=` is the empty string, as in Hydra
    } else {
      try {
        o.value = YAML::Load(text);
      } catch (const YAML::Exception& e) {
        throw ConfigError("malformed override '" + raw + "': cannot parse value '" + text + "' as YAML: " + e.msg);
      }
    }
  }
  return o;
}

void collect_paths(const YAML::Node& n, const std::string& prefix, std::vector<std::string>& out) {
  if (!n.IsMap()) return;
  for (const auto& kv : n) {
    const std::string p = prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar();
    out.push_back(p);
    collect_paths(kv.second, p, out);
  }
}

[[noreturn]] void missing_key(const Override& o, const YAML::Node& root, const char* hint) {
  std::vector<std::string> paths;
  collect_paths(root, "", paths);
  std::string msg = "override '" + o.raw + "': key '" + o.key + "' does not exist";
  if (!paths.empty()) msg += " (did you mean '" + detail::closest(o.key, paths) + "'?)";
  throw ConfigError(msg + hint);
}

// Scalars compare by value (3e-4 == 0.0003, yes == true), collections structurally.
bool same_value(const YAML::Node& a, const YAML::Node& b) {
  if (a.IsNull() || b.IsNull()) return a.IsNull() && b.IsNull();
  if (a.Type() != b.Type()) return false;
  if (a.IsScalar()) {
    if (a.Scalar() == b.Scalar()) return true;
    if (a.Tag() == "!" || b.Tag() == "!") return false;  // quoted strings compare as text
    if (auto x = detail::parse_int(a.Scalar()), y = detail::parse_int(b.Scalar()); x && y) return *x == *y;
    if (auto x = detail::parse_number(a.Scalar()), y = detail::parse_number(b.Scalar()); x && y) return *x == *y;
    if (auto x = detail::parse_bool(a.Scalar()), y = detail::parse_bool(b.Scalar()); x && y) return *x == *y;
    return false;
  }
  if (a.size() != b.size()) return false;
  if (a.IsSequence()) {
    for (size_t i = 0; i < a.size(); ++i)
      if (!same_value(a[i], b[i])) return false;
    return true;
  }
  for (const auto& kv : a) {
    const YAML::Node other = lookup(b, kv.first.Scalar());
    if (!other.IsDefined() || !same_value(kv.second, other)) return false;
  }
  return true;
}

void apply(const Override& o, YAML::Node root) {
  const bool create = o.kind == Override::Add || o.kind == Override::Force;
  YAML::Node node = root;
  std::string walked;
  for (size_t i = 0; i + 1 < o.path.size(); ++i) {
    const std::string& seg = o.path[i];
    walked += (i ? "." : "") + seg;
    const YAML::Node child = lookup(node, seg);
    if (!child.IsDefined()) {
      if (!create) missing_key(o, root, o.kind == Override::Set ? " (use +key=value to add a key)" : "");
      node[seg] = YAML::Node(YAML::NodeType::Map);
    } else if (!child.IsMap()) {
      throw ConfigError("override '" + o.raw + "': '" + walked + "' is not a mapping (value '" +
                        detail::render(child) + "')");
    }
    node.reset(lookup(node, seg));
  }
  const std::string& last = o.path.back();
  const YAML::Node current = lookup(node, last);
  switch (o.kind) {
    case Override::Set:
      if (!current.IsDefined()) missing_key(o, root, " (use +key=value to add a key)");
      node[last] = YAML::Clone(o.value);
      break;
    case Override::Add:
      if (current.IsDefined())
        throw ConfigError("override '" + o.raw + "': key '" + o.key + "' already exists (value '" +
                          detail::render(current) + "'; use " + o.key + "=... or ++" + o.key + "=... to change it)");
      node[last] = YAML::Clone(o.value);
      break;
    case Override::Force:
      node[last] = YAML::Clone(o.value);
      break;
    case Override::Delete:
      if (!current.IsDefined()) missing_key(o, root, "");
      if (o.has_value && !same_value(current, o.value))
        throw ConfigError("override '" + o.raw + "': key '" + o.key + "' has value '" + detail::render(current) +
                          "', not '" + detail::render(o.value) + "'; not deleted");
      node.remove(last);
      break;
  }
}

}  // namespace

YAML::Node compose(const std::string& primary, const std::vector<std::string>& overrides) {
  fs::path root_dir = fs::path(primary).parent_path();
  if (root_dir.empty()) root_dir = ".";

  // Split the command line: group selections act before composition, the rest after, in order.
  std::map<std::string, GroupChoice> choices;
  std::vector<std::string> group_order;
  std::vector<Override> key_overrides;
  for (const auto& raw : overrides) {
    const size_t eq = raw.find('=');
    const bool plain = !raw.empty() && raw[0] != '+' && raw[0] != '~';
    std::error_code ec;
    const bool group_like = eq != std::string::npos && eq > 0 && raw[0] != '/' &&
                            std::all_of(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(eq), [](char c) {
                              return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '/';
                            });
    if (plain && group_like &&
        fs::is_directory(root_dir / raw.substr(0, eq), ec)) {
      const std::string group = raw.substr(0, eq), option = raw.substr(eq + 1);
      const fs::path dir = root_dir / group;
      if (option.empty() || !fs::is_regular_file(dir / (option + ".yaml"), ec))
        throw ConfigError("unknown option '" + option + "' for config group '" + group + "' in override '" + raw +
                          "' (available: " + join(group_options(dir), ", ") + ")");
      if (!choices.count(group)) group_order.push_back(group);
      choices[group] = GroupChoice{option, raw, false};
      continue;
    }
    key_overrides.push_back(parse_override(raw));
  }

  Planner planner(root_dir, choices);
  const size_t self_index = planner.include(fs::path(primary), "");
  // Groups chosen on the command line but absent from every defaults list: added just before the primary's
  // _self_, so the primary file's own values still win (as for groups listed in its defaults).
  std::vector<Step> added;
  for (const auto& g : group_order) {
    GroupChoice& c = choices[g];
    if (c.used) continue;
    Planner extra(root_dir, choices);
    extra.add_group(g, c.option, " (override '" + c.raw + "')");
    added.push_back(extra.steps.front());
  }
  planner.steps.insert(planner.steps.begin() + static_cast<std::ptrdiff_t>(self_index), added.begin(), added.end());

  YAML::Node out = defaults_yaml();
  for (const auto& step : planner.steps) merge_into(ensure_map(out, step.package), step.content);

  for (const auto& o : key_overrides) apply(o, out);
  return out;
}

YAML::Node compose_defaults(const std::vector<std::string>& overrides) {
  YAML::Node out = defaults_yaml();
  for (const auto& raw : overrides) apply(parse_override(raw), out);
  return out;
}

}  // namespace jepa::config
