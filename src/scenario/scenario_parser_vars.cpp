// Expansion of [vars], and the 'env' of commands (scenario_parser_vars.hpp). The vars are resolved
// first, depth first, each once: a var's value is its text with the vars it
// names already expanded; a var met again while it is being resolved closes
// a cycle, reported at every var on it. Then one walk over the tree replaces
// {var.NAME} in each string. The placeholder scanner of placeholders.hpp
// finds the names, so what counts as a placeholder ("{{" escapes, "${X}"
// left to the shell) is the same here as at run time.
#include "scenario/scenario_parser_vars.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "scenario/placeholders.hpp"

namespace faultline::parse {

namespace {

constexpr std::string_view kPrefix = "var.";

struct Var {
  const toml::node* node = nullptr;
  std::string raw;
  std::string value;
  int state = 0;  ///< 0 not yet, 1 being resolved, 2 resolved
  bool broken = false;
};

class Expander {
 public:
  Expander(ValueReader& r) : r_(r) {}

  void declare(const toml::table& vars);
  void resolve_all();
  void walk(toml::node& n);

 private:
  /// `text` with each {var.NAME} replaced; `report(name, offset)` for an unknown one.
  template <class Report>
  std::string expand(const std::string& text, Report report);
  void resolve(const std::string& name);
  std::vector<std::string> names() const;
  SourcePos at_offset(const toml::node& n, const std::string& text, std::size_t offset) const;

  ValueReader& r_;
  std::map<std::string, Var> vars_;
  std::vector<std::string> stack_;
};

void Expander::declare(const toml::table& vars) {
  for (auto&& [k, v] : vars) {
    const std::string name(k.str());
    if (const auto* s = v.as_string()) {
      vars_[name] = Var{&v, s->get(), {}, 0, false};
    } else {
      r_.error(r_.at(v), fmt::format("var '{}' must be a string, not {}", name, type_phrase(v)),
               v.is_integer() || v.is_floating_point() || v.is_boolean() ? "quote it" : "");
      vars_[name] = Var{&v, {}, {}, 2, true};
    }
  }
}

std::vector<std::string> Expander::names() const {
  std::vector<std::string> out;
  for (const auto& [name, v] : vars_) out.push_back(name);
  return out;
}

SourcePos Expander::at_offset(const toml::node& n, const std::string& text, std::size_t offset) const {
  SourcePos p = r_.at(n);
  const auto& src = n.source();
  // A one-line string without escapes spans its text and two quotes: then the
  // column of the brace is exact.
  const auto width = src.end.column - src.begin.column;  // with its quotes; end exclusive or not
  if (src.begin.line == src.end.line && (width == text.size() + 2 || width == text.size() + 1))
    p.column += static_cast<int>(offset) + 1;
  return p;
}

template <class Report>
std::string Expander::expand(const std::string& text, Report report) {
  std::string out;
  std::size_t done = 0;
  for (const auto& use : find_placeholders(text)) {
    if (use.name.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    const std::string name = use.name.substr(kPrefix.size());
    out.append(text, done, use.offset - done);
    done = use.offset + use.name.size() + 2;
    auto it = vars_.find(name);
    if (it == vars_.end()) {
      report(name, use.offset);
      out.append(text, use.offset, use.name.size() + 2);
      continue;
    }
    resolve(name);
    out += it->second.broken ? text.substr(use.offset, use.name.size() + 2) : it->second.value;
  }
  out.append(text, done);
  return out;
}

void Expander::resolve(const std::string& name) {
  Var& v = vars_.at(name);
  if (v.state == 2) return;
  if (v.state == 1) {
    // A cycle: every var from `name` to the top of the stack is on it.
    std::string chain;
    auto first = std::find(stack_.begin(), stack_.end(), name);
    for (auto it = first; it != stack_.end(); ++it) chain += *it + " -> ";
    chain += name;
    for (auto it = first; it != stack_.end(); ++it) {
      Var& on = vars_.at(*it);
      if (on.broken) continue;
      on.broken = true;
      r_.error(r_.at(*on.node), fmt::format("var '{}' refers to itself: {}", *it, chain),
               "a var may use other vars, but no chain of them may come back to it");
    }
    return;
  }
  v.state = 1;
  stack_.push_back(name);
  const std::string value = expand(v.raw, [&](const std::string& unknown, std::size_t offset) {
    v.broken = true;
    r_.error(at_offset(*v.node, v.raw, offset), fmt::format("unknown var '{}' in var '{}'", unknown, name),
             suggest(unknown, names(), "declare it in [vars]"));
  });
  stack_.pop_back();
  v.value = value;
  v.state = 2;
}

void Expander::resolve_all() {
  for (const auto& name : names()) resolve(name);
}

void Expander::walk(toml::node& n) {
  if (auto* s = n.as_string()) {
    const std::string text = s->get();
    if (text.find("{var.") == std::string::npos) return;
    *s = expand(text, [&](const std::string& unknown, std::size_t offset) {
      r_.error(at_offset(n, text, offset), fmt::format("unknown var '{}'", unknown),
               suggest(unknown, names(), vars_.empty() ? "declare it in a [vars] table" : "declare it in [vars]"));
    });
  } else if (auto* t = n.as_table()) {
    for (auto&& [k, v] : *t) walk(v);
  } else if (auto* a = n.as_array()) {
    for (auto& e : *a) walk(e);
  }
}

}  // namespace

std::map<std::string, std::string> read_env(ValueReader& r, const Tbl& tb) {
  std::map<std::string, std::string> env;
  const auto* n = tb.t->get("env");
  if (!n) return env;
  const auto* t = n->as_table();
  if (!t) {
    r.type_error(*n, "env", "a table of strings such as { LANG = \"C\" }");
    return env;
  }
  for (auto&& [k, v] : *t) {
    const std::string key(k.str());
    if (key.empty() || key.find('=') != std::string::npos || key.front() == '-')
      r.error(r.at(v), fmt::format("env name '{}' cannot be set (empty, with '=' or starting with '-')", key));
    else if (const auto* s = v.as_string())
      env[key] = s->get();
    else
      r.error(r.at(v), fmt::format("env '{}' must be a string, not {}", key, type_phrase(v)),
            v.is_integer() || v.is_floating_point() || v.is_boolean() ? "quote it" : "");
  }
  return env;
}

/// A table's 'env' on its command: env(1) and NAME=VALUE words before the
/// argv, so that it holds wherever the argv runs (here, in a namespace, on a
/// [[host]], in a revert the ledger keeps) and its values are substituted
/// with the argv's placeholders.
void with_env(Command& c, const std::map<std::string, std::string>& env) {
  if (env.empty() || c.argv.empty()) return;
  std::vector<std::string> words{"env"};
  for (const auto& [key, value] : env) words.push_back(key + "=" + value);
  c.argv.insert(c.argv.begin(), words.begin(), words.end());
}

void expand_vars(toml::table& root, ValueReader& reader) {
  Expander x(reader);
  toml::node* vars = root.get("vars");
  if (vars) {
    if (const auto* t = vars->as_table())
      x.declare(*t);
    else
      reader.type_error(*vars, "vars", "a table of strings, written [vars]");
  }
  x.resolve_all();
  for (auto&& [k, v] : root)
    if (k.str() != "vars") x.walk(v);
}

}  // namespace faultline::parse
