// TOML -> Scenario. The only file that includes toml++.
//
// Every key of every table is checked against the catalog (catalog.hpp), every
// value is converted with its type, unit and range checked, and every problem
// is collected with the position of the node it concerns. Checks that relate
// several values or tables live in validate.cpp; when this file found errors
// (so that no scenario is returned) it still runs them on what it could read,
// so that one run shows every problem at once.
#include "scenario/scenario_parser.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

#include "scenario/catalog.hpp"
#include "scenario/placeholders.hpp"
#include "scenario/rate.hpp"
#include "scenario/signals.hpp"
#include "scenario/text_match.hpp"
#include "scenario/validate.hpp"

namespace faultline {

namespace {

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
/// Injections of one fault within an iteration: a run keeps each one's
/// schedule and outcome in memory and in its record, so the count is bounded.
constexpr std::int64_t kMaxRepeat = 100000;
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t kMaxRegexLength = 1000;  ///< characters of a regex
constexpr int kMaxRegexDepth = 32;             ///< nested parentheses in a regex

/// "a string", "an integer", ... for "must be X, not Y" messages.
std::string type_phrase(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::vector<std::string> key_names(const std::vector<KeySpec>& keys) {
  std::vector<std::string> names;
  names.reserve(keys.size());
  for (const auto& k : keys) names.push_back(k.key);
  return names;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

/// "a", "a and b", "a, b and c".
std::string join_and(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

/// "a", "a or b", "a, b or c".
std::string join_or(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
    out += items[i];
  }
  return out;
}

std::string join_comma(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

/// "did you mean 'x'?" when `word` is a plausible typo of a candidate, else `otherwise`.
std::string suggest(std::string_view word, const std::vector<std::string>& candidates, std::string otherwise = {}) {
  std::string best = closest(word, candidates);
  return best.empty() ? otherwise : fmt::format("did you mean '{}'?", best);
}

bool is_identifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

std::string join_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

/// Whether a fault kind accepts a key; common keys are accepted by every kind
/// except 'target' (not for exec and net.partition) and 'duration' (not for
/// kill and restart).
bool fault_accepts(const KindSpec& kind, const std::string& key) {
  if (contains(key_names(fault_common_keys()), key)) {
    if (key == "target") return kind.name != "exec" && kind.name != "net.partition";
    if (key == "duration") return kind.name != "process.kill" && kind.name != "process.restart";
    return true;
  }
  return contains(key_names(kind.keys), key);
}

/// Keys a fault of `kind` accepts (those of every kind when `kind` is null).
std::vector<std::string> fault_keys(const KindSpec* kind) {
  std::vector<std::string> keys;
  for (const auto& key : key_names(fault_common_keys()))
    if (!kind || fault_accepts(*kind, key)) keys.push_back(key);
  for (const auto& k : fault_kinds())
    if (!kind || &k == kind)
      for (const auto& key : key_names(k.keys))
        if (!contains(keys, key)) keys.push_back(key);
  return keys;
}

/// Why a fault of `kind` refuses a key that other kinds accept; "" for a key
/// no kind knows (an unknown key).
std::string fault_key_refusal(const KindSpec* kind, const std::string& key) {
  std::vector<std::string> accepting;
  for (const auto& k : fault_kinds())
    if (fault_accepts(k, key)) accepting.push_back(k.name);
  if (accepting.empty() || !kind) return {};
  return fmt::format("'{}' does not apply to {} {} fault (only {} faults accept it)", key,
                     kind->name == "exec" ? "an" : "a", kind->name, join_and(accepting));
}

/// Keys a probe of `kind` accepts: the common ones (a ready probe has no name
/// and is never a steady-state probe) and its kind's (every kind's when null).
std::vector<std::string> probe_keys(const KindSpec* kind, bool readiness) {
  std::vector<std::string> keys = key_names(probe_common_keys());
  if (readiness) std::erase_if(keys, [](const std::string& k) { return k == "name" || k == "steady_state"; });
  for (const auto& k : probe_kinds())
    if (!kind || &k == kind)
      for (const auto& key : key_names(k.keys))
        if (!contains(keys, key)) keys.push_back(key);
  return keys;
}

/// Why a probe refuses a key that is valid elsewhere; "" for an unknown key.
std::string probe_key_refusal(const KindSpec* kind, bool readiness, const std::string& key) {
  if (readiness && (key == "name" || key == "steady_state"))
    return fmt::format("'{}' is not allowed in a ready probe (it is named after its service and never a "
                       "steady-state probe)",
                       key);
  std::vector<std::string> accepting;
  for (const auto& k : probe_kinds())
    if (contains(key_names(k.keys), key)) accepting.push_back(k.name);
  if (accepting.empty() || !kind) return {};
  return fmt::format("'{}' does not apply to {} {} probe (only {} probes accept it)", key,
                     kind->name == "tcp" ? "a" : "an", kind->name, join_and(accepting));
}

/// Whether a duration may be zero.
enum class Min { zero, positive };

/// One TOML table being read into a struct.
struct Tbl {
  const toml::table* t;
  std::string path;   ///< key path prefix for Scenario::positions, "" at the top level
  std::string label;  ///< for messages: "the top level", "[[service]]", ...
};

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) { s_.file = file_; }

  ParseResult run(std::string_view text);

 private:
  // Diagnostics and positions.
  SourcePos at(const toml::source_region& r) const {
    return {file_, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
  }
  SourcePos at(const toml::node& n) const { return at(n.source()); }
  SourcePos table_pos(const Tbl& tb) const {
    SourcePos p = at(*tb.t);
    if (p.line == 0) p = {file_, 1, 1};  // the root table
    return p;
  }
  void error(SourcePos pos, std::string message, std::string hint = {});
  void type_error(const toml::node& n, std::string_view key, std::string_view expected);
  void record(const std::string& path, const toml::node& n);

  // Keys.
  using WhyNot = std::function<std::string(const std::string& key)>;
  void check_keys(const Tbl& tb, const std::vector<std::string>& allowed, const WhyNot& why_not = {});
  bool require(const Tbl& tb, std::string_view key);

  // Values of one node.
  std::optional<std::string> string_of(const toml::node& n, std::string_view key);
  std::optional<std::string> nonempty_of(const toml::node& n, std::string_view key);
  std::optional<std::int64_t> integer_of(const toml::node& n, std::string_view key, std::int64_t lo, std::int64_t hi);
  std::optional<Nanos> duration_of(const toml::node& n, std::string_view key, Min min);
  std::optional<Command> command_of(const toml::node& n, std::string_view key);
  std::optional<std::string> identifier_of(const toml::node& n, std::string_view key);

  // Values of a table's key (nullopt when absent or wrong).
  std::optional<std::string> text(const Tbl& tb, std::string_view key);
  std::optional<std::string> nonempty(const Tbl& tb, std::string_view key);
  std::optional<std::int64_t> integer(const Tbl& tb, std::string_view key, std::int64_t lo, std::int64_t hi);
  std::optional<bool> boolean(const Tbl& tb, std::string_view key);
  std::optional<Nanos> duration(const Tbl& tb, std::string_view key, Min min);
  std::optional<Command> command(const Tbl& tb, std::string_view key);
  std::optional<std::vector<std::string>> identifiers(const Tbl& tb, std::string_view key);
  std::optional<int> signal(const Tbl& tb, std::string_view key);
  std::optional<std::string> regex(const Tbl& tb, std::string_view key);
  std::optional<std::string> port(const Tbl& tb, std::string_view key);
  std::optional<std::vector<int>> statuses(const Tbl& tb, std::string_view key);
  std::optional<double> percent(const Tbl& tb, std::string_view key);
  std::optional<double> probability(const Tbl& tb, std::string_view key);
  std::optional<double> rate(const Tbl& tb, std::string_view key);
  std::optional<std::string> choice(const Tbl& tb, std::string_view key, const std::vector<std::string>& options);
  std::optional<NetDirection> direction(const Tbl& tb);
  std::optional<std::string> address(const Tbl& tb, std::string_view key);
  std::optional<std::vector<std::vector<std::string>>> groups(const Tbl& tb, std::string_view key);

  // Tables.
  void top_level(const toml::table& root);
  void recovered_after(const toml::node& n);
  template <class F>
  void each_table(const toml::table& root, std::string_view key, F f);
  ServiceSpec service(const Tbl& tb);
  void service_env(const Tbl& tb, ServiceSpec& svc);
  LinkSpec link(const Tbl& tb);
  ProbeSpec probe(const Tbl& tb, bool readiness);
  ProbeSpec guard(const Tbl& tb);
  const KindSpec* probe_kind(const Tbl& tb, ProbeSpec& p);
  void probe_kind_keys(const Tbl& tb, ProbeSpec& p);
  FaultSpec fault(const Tbl& tb, bool& named);
  const KindSpec* fault_kind(const Tbl& tb, FaultSpec& f);
  void fault_at(const Tbl& tb, FaultSpec& f);
  void fault_params(const Tbl& tb, const KindSpec& kind, FaultSpec& f);
  void net_fault_params(const Tbl& tb, const KindSpec& kind, FaultSpec& f);
  PartitionParams partition_params(const Tbl& tb);
  StepSpec step(const Tbl& tb, std::string default_name);
  RecoverySpec recovery_step(const Tbl& tb);
  WorkloadSpec workload(const Tbl& tb);
  void thresholds(const toml::table& root);
  void default_fault_names(const std::vector<bool>& named);

  std::vector<Diagnostic> with_semantic_checks() const;

  std::string file_;
  Scenario s_;
  std::vector<Diagnostic> diags_;
  std::string entity_;             ///< path of the table being read ("service[0]", "service[0].ready")
  std::set<std::string> errored_;  ///< entities (and their parents) with a parse error
};

void Parser::error(SourcePos pos, std::string message, std::string hint) {
  if (pos.file.empty()) pos.file = file_;
  diags_.push_back({std::move(pos), std::move(message), std::move(hint)});
  errored_.insert(entity_);
  if (auto dot = entity_.find('.'); dot != std::string::npos) errored_.insert(entity_.substr(0, dot));
}

void Parser::type_error(const toml::node& n, std::string_view key, std::string_view expected) {
  error(at(n), fmt::format("'{}' must be {}, not {}", key, expected, type_phrase(n)));
}

void Parser::record(const std::string& path, const toml::node& n) {
  s_.positions[path] = at(n);
  if (const auto* arr = n.as_array()) {
    for (std::size_t i = 0; i < arr->size(); ++i) record(fmt::format("{}[{}]", path, i), (*arr)[i]);
  } else if (const auto* tbl = n.as_table()) {
    for (auto&& [k, v] : *tbl) record(join_path(path, k.str()), v);
  }
}

// ---------------------------------------------------------------- keys

void Parser::check_keys(const Tbl& tb, const std::vector<std::string>& allowed, const WhyNot& why_not) {
  for (auto&& [k, v] : *tb.t) {
    const std::string key(k.str());
    if (contains(allowed, key)) {
      record(join_path(tb.path, key), v);
      continue;
    }
    const SourcePos pos = at(k.source()).line > 0 ? at(k.source()) : at(v);
    if (std::string why = why_not ? why_not(key) : std::string(); !why.empty()) {
      error(pos, why);
      continue;
    }
    error(pos, fmt::format("unknown key '{}' in {}", key, tb.label),
          suggest(key, allowed, fmt::format("known keys: {}", join_comma(allowed))));
  }
}

bool Parser::require(const Tbl& tb, std::string_view key) {
  if (tb.t->get(key)) return true;
  error(table_pos(tb), fmt::format("missing required key '{}' in {}", key, tb.label));
  return false;
}

// ---------------------------------------------------------------- values of a node

std::optional<std::string> Parser::string_of(const toml::node& n, std::string_view key) {
  if (const auto* s = n.as_string()) return s->get();
  type_error(n, key, "a string");
  return std::nullopt;
}

std::optional<std::string> Parser::nonempty_of(const toml::node& n, std::string_view key) {
  auto s = string_of(n, key);
  if (s && s->empty()) {
    error(at(n), fmt::format("'{}' must not be empty", key));
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> Parser::integer_of(const toml::node& n, std::string_view key, std::int64_t lo,
                                               std::int64_t hi) {
  const auto* i = n.as_integer();
  if (!i) {
    type_error(n, key, "an integer");
    return std::nullopt;
  }
  const std::int64_t v = i->get();
  if (v >= lo && v <= hi) return v;
  if (hi == kIntMax || hi == kInt64Max)
    error(at(n), fmt::format("'{}' must be at least {}, not {}", key, lo, v));
  else
    error(at(n), fmt::format("'{}' must be between {} and {}, not {}", key, lo, hi, v));
  return std::nullopt;
}

std::optional<Nanos> Parser::duration_of(const toml::node& n, std::string_view key, Min min) {
  if (n.is_integer() || n.is_floating_point()) {
    const std::string number = n.is_integer() ? fmt::format("{}", n.as_integer()->get())
                                              : fmt::format("{}", n.as_floating_point()->get());
    error(at(n),
          fmt::format("'{}' must be a duration string such as \"250ms\" or \"2s\", not a bare number: durations need a unit",
                      key),
          fmt::format("write \"{0}s\" or \"{0}ms\"", number));
    return std::nullopt;
  }
  const auto* s = n.as_string();
  if (!s) {
    type_error(n, key, "a duration string such as \"250ms\" or \"2s\"");
    return std::nullopt;
  }
  std::string why;
  auto d = parse_duration(s->get(), &why);
  if (!d) {
    error(at(n), fmt::format("'{}': {}", key, why));
    return std::nullopt;
  }
  if (min == Min::positive && d->count() == 0) {
    error(at(n), fmt::format("'{}' must be positive (greater than zero), not \"{}\"", key, s->get()));
    return std::nullopt;
  }
  return d;
}

std::optional<Command> Parser::command_of(const toml::node& n, std::string_view key) {
  Command c;
  c.pos = at(n);
  if (const auto* s = n.as_string()) {
    const std::string& line = s->get();
    if (line.find_first_not_of(" \t\r\n") == std::string::npos) {
      error(at(n), fmt::format("'{}' must not be empty", key));
      return std::nullopt;
    }
    c.argv = {"/bin/sh", "-c", line};
    c.shell = true;
    return c;
  }
  const auto* arr = n.as_array();
  if (!arr) {
    type_error(n, key, "a string (a shell line) or an array of strings (an argv)");
    return std::nullopt;
  }
  if (arr->empty()) {
    error(at(n), fmt::format("'{}' must not be an empty array: the first element is the program to run", key));
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& e : *arr) {
    if (const auto* s = e.as_string()) {
      c.argv.push_back(s->get());
    } else {
      error(at(e), fmt::format("every element of '{}' must be a string, not {}", key, type_phrase(e)));
      ok = false;
    }
  }
  if (ok && c.argv.front().empty()) {
    error(at(arr->front()), fmt::format("the program (first element) of '{}' must not be empty", key));
    ok = false;
  }
  return ok ? std::optional<Command>(std::move(c)) : std::nullopt;
}

std::optional<std::string> Parser::identifier_of(const toml::node& n, std::string_view key) {
  auto s = string_of(n, key);
  if (s && !is_identifier(*s)) {
    error(at(n), fmt::format("'{}' must be made of letters, digits, '_' and '-', not \"{}\"", key, *s));
    return std::nullopt;
  }
  return s;
}

// ---------------------------------------------------------------- values of a table's key

std::optional<std::string> Parser::text(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  return n ? string_of(*n, key) : std::nullopt;
}

std::optional<std::string> Parser::nonempty(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  return n ? nonempty_of(*n, key) : std::nullopt;
}

std::optional<std::int64_t> Parser::integer(const Tbl& tb, std::string_view key, std::int64_t lo, std::int64_t hi) {
  const auto* n = tb.t->get(key);
  return n ? integer_of(*n, key, lo, hi) : std::nullopt;
}

std::optional<bool> Parser::boolean(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  if (const auto* b = n->as_boolean()) return b->get();
  type_error(*n, key, "a boolean (true or false)");
  return std::nullopt;
}

std::optional<Nanos> Parser::duration(const Tbl& tb, std::string_view key, Min min) {
  const auto* n = tb.t->get(key);
  return n ? duration_of(*n, key, min) : std::nullopt;
}

std::optional<Command> Parser::command(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  return n ? command_of(*n, key) : std::nullopt;
}

std::optional<std::vector<std::string>> Parser::identifiers(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  const auto* arr = n->as_array();
  if (!arr) {
    type_error(*n, key, "an array of names");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& e : *arr) {
    if (auto s = identifier_of(e, key))
      out.push_back(*s);
    else
      ok = false;
  }
  return ok ? std::optional(std::move(out)) : std::nullopt;
}

std::optional<int> Parser::signal(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  if (n->is_integer()) {
    auto v = integer_of(*n, key, 1, 64);
    return v ? std::optional(static_cast<int>(*v)) : std::nullopt;
  }
  const auto* s = n->as_string();
  if (!s) {
    type_error(*n, key, "a signal name such as \"SIGTERM\" or a number 1..64");
    return std::nullopt;
  }
  if (int number = signal_number(s->get())) return number;
  std::string upper;
  for (char c : s->get()) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.substr(0, 3) != "SIG") upper = "SIG" + upper;
  error(at(*n), fmt::format("unknown signal '{}' in '{}'", s->get(), key),
        suggest(upper, signal_names(), "write a name such as \"SIGTERM\" or \"KILL\", or a number 1..64"));
  return std::nullopt;
}

std::optional<std::string> Parser::regex(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  auto s = string_of(*n, key);
  if (!s) return std::nullopt;
  // Regex compilers recurse, a few frames per group: a pattern thousands of
  // groups deep overflowed the stack in libstdc++'s (found by tests/fuzz),
  // and Boost.Regex's parser (text_match.cpp) recurses per group too. Bound
  // both length and depth before compiling; no probe needs more.
  int depth = 0, deepest = 0;
  for (std::size_t i = 0; i < s->size(); ++i) {
    if ((*s)[i] == '\\') ++i;
    else if ((*s)[i] == '(') deepest = std::max(deepest, ++depth);
    else if ((*s)[i] == ')' && depth > 0) --depth;
  }
  if (s->size() > kMaxRegexLength || deepest > kMaxRegexDepth) {
    error(at(*n), s->size() > kMaxRegexLength
                      ? fmt::format("'{}' is too long for a regular expression: {} characters, at most {}", key,
                                    s->size(), kMaxRegexLength)
                      : fmt::format("'{}' nests parentheses {} deep, at most {}", key, deepest, kMaxRegexDepth),
          "match a shorter pattern");
    return std::nullopt;
  }
  // Placeholders are substituted before the regex is used: compile it with
  // stand-in values so that "{port.x}" is not read as a bad repetition.
  Bindings stand_ins;
  for (const auto& use : find_placeholders(*s)) stand_ins[use.name] = "0";
  if (auto why = regex_syntax_error(substitute(*s, stand_ins))) {
    error(at(*n), fmt::format("'{}' is not a valid regular expression: {}", key, *why));
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> Parser::port(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  if (n->is_integer()) {
    auto v = integer_of(*n, key, 1, 65535);
    return v ? std::optional(std::to_string(*v)) : std::nullopt;
  }
  auto s = string_of(*n, key);
  if (!s) return std::nullopt;
  if (!find_placeholders(*s).empty()) return s;  // checked by validate()
  int number = 0;
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), number);
  if (ec == std::errc() && end == s->data() + s->size() && number >= 1 && number <= 65535) return s;
  error(at(*n), fmt::format("'{}' must be a port number 1..65535 or a placeholder such as \"{{port.NAME}}\", not \"{}\"",
                            key, *s));
  return std::nullopt;
}

std::optional<std::vector<int>> Parser::statuses(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  const auto* arr = n->as_array();
  if (!arr) {
    type_error(*n, key, "an array of status codes such as [200, 204]");
    return std::nullopt;
  }
  std::vector<int> out;
  bool ok = true;
  for (const auto& e : *arr) {
    if (auto v = integer_of(e, key, 100, 599))
      out.push_back(static_cast<int>(*v));
    else
      ok = false;
  }
  return ok ? std::optional(std::move(out)) : std::nullopt;
}

std::optional<double> Parser::percent(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  const auto* s = n->as_string();
  if (!s || s->get().empty() || s->get().back() != '%') {
    const std::string shown = n->is_integer()          ? fmt::format("{}", n->as_integer()->get())
                              : n->is_floating_point() ? fmt::format("{}", n->as_floating_point()->get())
                                                       : std::string("99.5");
    error(at(*n),
          fmt::format("'{}' must be a percentage written with a percent sign, such as \"99.5%\", not {}", key,
                      s ? fmt::format("\"{}\"", s->get()) : type_phrase(*n)),
          fmt::format("write \"{}%\"", shown));
    return std::nullopt;
  }
  const std::string& text = s->get();
  double value = 0;
  const char* last = text.data() + text.size() - 1;  // the '%'
  auto [end, ec] = std::from_chars(text.data(), last, value);
  if (ec != std::errc() || end != last) {
    error(at(*n), fmt::format("'{}' must be a number followed by '%', such as \"99.5%\", not \"{}\"", key, text));
    return std::nullopt;
  }
  if (!(value >= 0 && value <= 100)) {  // also rejects "nan%"
    error(at(*n), fmt::format("'{}' must be between 0% and 100%, not \"{}\"", key, text));
    return std::nullopt;
  }
  return value;
}

std::optional<double> Parser::probability(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  double value = 0;
  if (const auto* i = n->as_integer())
    value = static_cast<double>(i->get());
  else if (const auto* f = n->as_floating_point())
    value = f->get();
  else {
    type_error(*n, key, "a probability between 0 and 1, such as 0.5");
    return std::nullopt;
  }
  if (!(value >= 0 && value <= 1)) {  // also rejects nan
    error(at(*n), fmt::format("'{}' must be between 0 and 1, not {}", key, value),
          value > 1 && value <= 100 ? fmt::format("a probability, not a percentage: write {}", value / 100) : "");
    return std::nullopt;
  }
  return value;
}

std::optional<double> Parser::rate(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  const auto* str = n->as_string();
  if (!str) {
    type_error(*n, key, "a rate string such as \"100KB/s\"");
    return std::nullopt;
  }
  std::string why;
  auto r = parse_rate(str->get(), &why);
  if (!r) error(at(*n), fmt::format("'{}': {}", key, why));
  return r;
}

std::optional<std::string> Parser::choice(const Tbl& tb, std::string_view key, const std::vector<std::string>& options) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  auto v = string_of(*n, key);
  if (!v) return std::nullopt;
  if (contains(options, *v)) return v;
  std::vector<std::string> quoted;
  for (const auto& o : options) quoted.push_back(fmt::format("\"{}\"", o));
  error(at(*n), fmt::format("unknown {} '{}'", key, *v), suggest(*v, options, fmt::format("write {}", join_or(quoted))));
  return std::nullopt;
}

std::optional<NetDirection> Parser::direction(const Tbl& tb) {
  auto d = choice(tb, "direction", {"upstream", "downstream", "both"});
  if (!d) return std::nullopt;
  return *d == "upstream" ? NetDirection::upstream : *d == "downstream" ? NetDirection::downstream : NetDirection::both;
}

std::optional<std::string> Parser::address(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  auto s = nonempty_of(*n, key);
  if (!s) return std::nullopt;
  // HOST:PORT, where an IPv6 HOST is in brackets. Which hosts are allowed is
  // validate()'s business; here only the shape and a literal port.
  const auto colon = s->rfind(':');
  const std::string host = colon == std::string::npos ? std::string() : s->substr(0, colon);
  const std::string port = colon == std::string::npos ? std::string() : s->substr(colon + 1);
  bool port_ok = !find_placeholders(port).empty();
  int number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec == std::errc() && end == port.data() + port.size() && number >= 1 && number <= 65535) port_ok = true;
  if (host.empty() || !port_ok) {
    error(at(*n),
          fmt::format("'{}' must be \"HOST:PORT\" with a port number 1..65535 or a placeholder, not \"{}\"", key, *s),
          "e.g. \"127.0.0.1:{port.redis}\"");
    return std::nullopt;
  }
  return s;
}

std::optional<std::vector<std::vector<std::string>>> Parser::groups(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  const auto* outer = n->as_array();
  if (!outer) {
    type_error(*n, key, "an array of arrays of service names, such as [[\"a\"], [\"b\", \"c\"]]");
    return std::nullopt;
  }
  std::vector<std::vector<std::string>> out;
  bool ok = true;
  for (const auto& g : *outer) {
    const auto* inner = g.as_array();
    if (!inner) {
      error(at(g), fmt::format("each group of '{}' must be an array of service names, not {}", key, type_phrase(g)),
            "write [[\"a\"], [\"b\", \"c\"]]");
      ok = false;
      continue;
    }
    std::vector<std::string> names;
    for (const auto& e : *inner) {
      if (auto name = identifier_of(e, key))
        names.push_back(*name);
      else
        ok = false;
    }
    out.push_back(std::move(names));
  }
  return ok ? std::optional(std::move(out)) : std::nullopt;
}

template <class T, class U>
void assign(T& field, const std::optional<U>& value) {
  if (value) field = static_cast<T>(*value);
}

// ---------------------------------------------------------------- tables

void Parser::top_level(const toml::table& root) {
  const Tbl tb{&root, "", "the top level"};
  entity_.clear();
  check_keys(tb, key_names(top_level_keys()));
  if (require(tb, "name")) assign(s_.name, nonempty(tb, "name"));
  assign(s_.description, text(tb, "description"));
  if (auto seed = integer(tb, "seed", 0, kInt64Max)) s_.seed = static_cast<std::uint64_t>(*seed);
  assign(s_.iterations, integer(tb, "iterations", 1, kIntMax));
  assign(s_.steady_for, duration(tb, "steady_for", Min::zero));
  assign(s_.steady_timeout, duration(tb, "steady_timeout", Min::positive));
  if (const auto* n = root.get("recovered_after")) recovered_after(*n);
  assign(s_.watch, duration(tb, "watch", Min::zero));
  assign(s_.give_up_after, duration(tb, "give_up_after", Min::positive));
  assign(s_.cool_down, duration(tb, "cool_down", Min::zero));
  if (auto d = duration(tb, "max_duration", Min::positive)) s_.max_duration = *d;
  if (auto mode = choice(tb, "network", {"links", "namespaces"}))
    s_.network = *mode == "namespaces" ? NetworkMode::namespaces : NetworkMode::links;
  assign(s_.subnet, nonempty(tb, "subnet"));

  each_table(root, "service", [&](const Tbl& t) { s_.services.push_back(service(t)); });
  each_table(root, "link", [&](const Tbl& t) { s_.links.push_back(link(t)); });
  each_table(root, "probe", [&](const Tbl& t) { s_.probes.push_back(probe(t, false)); });
  std::vector<bool> named;
  each_table(root, "fault", [&](const Tbl& t) {
    bool has_name = false;
    s_.faults.push_back(fault(t, has_name));
    named.push_back(has_name);
  });
  default_fault_names(named);
  each_table(root, "setup",
             [&](const Tbl& t) { s_.setup.push_back(step(t, fmt::format("setup #{}", s_.setup.size() + 1))); });
  each_table(root, "verify",
             [&](const Tbl& t) { s_.verify.push_back(step(t, fmt::format("verify #{}", s_.verify.size() + 1))); });
  each_table(root, "recovery", [&](const Tbl& t) { s_.recovery.push_back(recovery_step(t)); });
  each_table(root, "workload", [&](const Tbl& t) { s_.workloads.push_back(workload(t)); });
  thresholds(root);
  each_table(root, "guard", [&](const Tbl& t) { s_.guards.push_back(guard(t)); });
}

ProbeSpec Parser::guard(const Tbl& tb) {
  // A guard is a probe that never gates anything: only its failures count.
  if (const auto* n = tb.t->get("steady_state"))
    error(at(*n), "'steady_state' is not allowed in a [[guard]] (a guard only aborts the run when it fails)",
          "move it to a [[probe]] to gate iterations on it");
  ProbeSpec p = probe(tb, false);
  p.steady_state = false;
  return p;
}

void Parser::recovered_after(const toml::node& n) {
  constexpr std::string_view key = "recovered_after";
  if (n.is_integer()) {
    if (auto v = integer_of(n, key, 1, kIntMax)) s_.recovered_after = {static_cast<int>(*v), 0ns};
    return;
  }
  if (n.is_string()) {
    if (auto d = duration_of(n, key, Min::positive)) s_.recovered_after = {1, *d};
    return;
  }
  const auto* t = n.as_table();
  if (!t) {
    type_error(n, key, "a sample count (integer), a duration string or a table { samples = N, duration = \"D\" }");
    return;
  }
  const Tbl tb{t, std::string(key), "'recovered_after'"};
  check_keys(tb, {"samples", "duration"});
  if (t->empty()) {
    error(at(n), "'recovered_after' needs 'samples', 'duration' or both");
    return;
  }
  RecoveredAfter r{1, 0ns};
  assign(r.samples, integer(tb, "samples", 1, kIntMax));
  assign(r.duration, duration(tb, "duration", Min::positive));
  s_.recovered_after = r;
}

template <class F>
void Parser::each_table(const toml::table& root, std::string_view key, F f) {
  const auto* n = root.get(key);
  if (!n) return;
  const auto* arr = n->as_array();
  if (!arr) {
    entity_.clear();
    error(at(*n), fmt::format("'{0}' must be an array of tables, written [[{0}]], not {1}", key, type_phrase(*n)));
    return;
  }
  for (std::size_t i = 0; i < arr->size(); ++i) {
    entity_ = fmt::format("{}[{}]", key, i);
    const auto* t = (*arr)[i].as_table();
    if (!t) {
      error(at((*arr)[i]), fmt::format("each entry of '{0}' must be a table ([[{0}]]), not {1}", key, type_phrase((*arr)[i])));
      continue;
    }
    s_.positions[entity_] = at(*t);
    f(Tbl{t, entity_, fmt::format("[[{}]]", key)});
  }
  entity_.clear();
}

ServiceSpec Parser::service(const Tbl& tb) {
  ServiceSpec svc;
  svc.pos = table_pos(tb);
  check_keys(tb, key_names(service_keys()));
  if (require(tb, "name")) assign(svc.name, identifier_of(*tb.t->get("name"), "name"));
  if (require(tb, "command")) assign(svc.command, command(tb, "command"));
  service_env(tb, svc);
  assign(svc.workdir, nonempty(tb, "workdir"));
  assign(svc.ports, identifiers(tb, "ports"));
  if (const auto* n = tb.t->get("ready")) {
    if (const auto* t = n->as_table()) {
      const std::string who = svc.name.empty() ? std::string("a service") : fmt::format("service '{}'", svc.name);
      const std::string outer = std::exchange(entity_, join_path(tb.path, "ready"));
      svc.ready = probe(Tbl{t, entity_, fmt::format("the ready probe of {}", who)}, true);
      svc.ready->name = svc.name;
      entity_ = outer;
    } else {
      type_error(*n, "ready", "a probe table such as { kind = \"tcp\", port = \"{port.NAME}\" }");
    }
  }
  assign(svc.ready_timeout, duration(tb, "ready_timeout", Min::positive));
  if (auto r = text(tb, "restart")) {
    static const std::vector<std::string> policies = {"never", "on-failure", "always"};
    if (*r == "never")
      svc.restart = RestartPolicy::never;
    else if (*r == "on-failure")
      svc.restart = RestartPolicy::on_failure;
    else if (*r == "always")
      svc.restart = RestartPolicy::always;
    else
      error(at(*tb.t->get("restart")), fmt::format("unknown restart policy '{}'", *r),
            suggest(*r, policies, "write \"never\", \"on-failure\" or \"always\""));
  }
  assign(svc.backoff, duration(tb, "backoff", Min::positive));
  assign(svc.backoff_max, duration(tb, "backoff_max", Min::positive));
  assign(svc.stop_signal, signal(tb, "stop_signal"));
  assign(svc.stop_grace, duration(tb, "stop_grace", Min::zero));
  assign(svc.depends_on, identifiers(tb, "depends_on"));
  if (const auto* n = tb.t->get("host")) assign(svc.host, identifier_of(*n, "host"));
  return svc;
}

void Parser::service_env(const Tbl& tb, ServiceSpec& svc) {
  const auto* n = tb.t->get("env");
  if (!n) return;
  const auto* t = n->as_table();
  if (!t) {
    type_error(*n, "env", "a table of strings such as { LANG = \"C\" }");
    return;
  }
  for (auto&& [k, v] : *t) {
    const std::string key(k.str());
    if (const auto* s = v.as_string())
      svc.env[key] = s->get();
    else
      error(at(v), fmt::format("env '{}' must be a string, not {}", key, type_phrase(v)),
            v.is_integer() || v.is_floating_point() || v.is_boolean() ? "quote it" : "");
  }
}

LinkSpec Parser::link(const Tbl& tb) {
  LinkSpec l;
  l.pos = table_pos(tb);
  check_keys(tb, key_names(link_keys()));
  if (require(tb, "name")) assign(l.name, identifier_of(*tb.t->get("name"), "name"));
  if (require(tb, "to")) assign(l.to, address(tb, "to"));
  if (const auto* n = tb.t->get("service")) assign(l.service, identifier_of(*n, "service"));
  assign(l.from, identifiers(tb, "from"));
  return l;
}

ProbeSpec Parser::probe(const Tbl& tb, bool readiness) {
  ProbeSpec p;
  p.pos = table_pos(tb);
  if (readiness) p.interval = 50ms;
  const KindSpec* kind = require(tb, "kind") ? probe_kind(tb, p) : nullptr;

  check_keys(tb, probe_keys(kind, readiness),
             [&](const std::string& key) { return probe_key_refusal(kind, readiness, key); });

  if (!readiness && require(tb, "name")) assign(p.name, nonempty(tb, "name"));
  assign(p.interval, duration(tb, "interval", Min::positive));
  assign(p.timeout, duration(tb, "timeout", Min::positive));
  if (!readiness) assign(p.steady_state, boolean(tb, "steady_state"));
  if (const auto* n = tb.t->get("from")) assign(p.from, identifier_of(*n, "from"));
  if (kind) probe_kind_keys(tb, p);
  return p;
}

const KindSpec* Parser::probe_kind(const Tbl& tb, ProbeSpec& p) {
  const auto* n = tb.t->get("kind");
  auto name = string_of(*n, "kind");
  if (!name) return nullptr;
  const KindSpec* kind = find_probe_kind(*name);
  if (!kind) {
    std::vector<std::string> names;
    for (const auto& k : probe_kinds()) names.push_back(k.name);
    error(at(*n), fmt::format("unknown probe kind '{}'", *name),
          suggest(*name, names, fmt::format("known kinds: {}", join_comma(names))));
    return nullptr;
  }
  p.kind = kind->name == "tcp" ? ProbeKind::tcp : kind->name == "http" ? ProbeKind::http : ProbeKind::exec;
  return kind;
}

void Parser::probe_kind_keys(const Tbl& tb, ProbeSpec& p) {
  if (p.kind == ProbeKind::tcp || p.kind == ProbeKind::http) {
    assign(p.host, nonempty(tb, "host"));
    assign(p.port, port(tb, "port"));
  }
  if (p.kind == ProbeKind::http) {
    assign(p.method, nonempty(tb, "method"));
    if (auto path = text(tb, "path")) {
      if (path->empty() || (path->front() != '/' && path->front() != '{'))
        error(at(*tb.t->get("path")), fmt::format("'path' must start with '/', not \"{}\"", *path));
      else
        p.path = *path;
    }
    assign(p.status, statuses(tb, "status"));
    assign(p.expect_body, text(tb, "expect_body"));
    assign(p.expect_body_regex, regex(tb, "expect_body_regex"));
  }
  if (p.kind == ProbeKind::exec) {
    assign(p.command, command(tb, "command"));
    assign(p.expect_exit, integer(tb, "expect_exit", 0, 255));
    assign(p.expect_stdout, text(tb, "expect_stdout"));
    assign(p.expect_stdout_regex, regex(tb, "expect_stdout_regex"));
  }
}

FaultSpec Parser::fault(const Tbl& tb, bool& named) {
  FaultSpec f;
  f.pos = table_pos(tb);
  const KindSpec* kind = require(tb, "kind") ? fault_kind(tb, f) : nullptr;

  check_keys(tb, fault_keys(kind), [&](const std::string& key) { return fault_key_refusal(kind, key); });

  if (auto name = nonempty(tb, "name")) {
    f.name = *name;
    named = true;
  }
  if (!kind || fault_accepts(*kind, "target")) assign(f.target, nonempty(tb, "target"));
  fault_at(tb, f);
  if (!kind || fault_accepts(*kind, "duration")) assign(f.duration, duration(tb, "duration", Min::positive));
  assign(f.repeat, integer(tb, "repeat", 1, kMaxRepeat));
  assign(f.every, duration(tb, "every", Min::positive));
  if (kind) fault_params(tb, *kind, f);
  return f;
}

const KindSpec* Parser::fault_kind(const Tbl& tb, FaultSpec& f) {
  const auto* n = tb.t->get("kind");
  auto name = string_of(*n, "kind");
  if (!name) return nullptr;
  const KindSpec* kind = find_fault_kind(*name);
  if (!kind) {
    std::vector<std::string> names;
    for (const auto& k : fault_kinds()) names.push_back(k.name);
    error(at(*n), fmt::format("unknown fault kind '{}'", *name),
          suggest(*name, names, fmt::format("known kinds: {}", join_comma(names))));
    return nullptr;
  }
  f.kind = kind->name;
  return kind;
}

void Parser::fault_at(const Tbl& tb, FaultSpec& f) {
  const auto* n = tb.t->get("at");
  if (!n) return;
  if (const auto* arr = n->as_array()) {
    if (arr->size() != 2) {
      error(at(*n), fmt::format("'at' as a window must have exactly two durations [\"MIN\", \"MAX\"], not {}",
                                arr->size()));
      return;
    }
    auto lo = duration_of((*arr)[0], "at", Min::zero);
    auto hi = duration_of((*arr)[1], "at", Min::zero);
    if (lo && hi) {
      f.at_min = *lo;
      f.at_max = *hi;
    }
    return;
  }
  if (!n->is_string() && !n->is_integer() && !n->is_floating_point()) {
    type_error(*n, "at", "a duration string such as \"2s\" or a window [\"1s\", \"3s\"]");
    return;
  }
  if (auto d = duration_of(*n, "at", Min::zero)) f.at_min = f.at_max = *d;
}

void Parser::fault_params(const Tbl& tb, const KindSpec& kind, FaultSpec& f) {
  if (kind.name == "process.kill") {
    KillParams k;
    assign(k.signal, signal(tb, "signal"));
    assign(k.group, boolean(tb, "group"));
    f.params = k;
  } else if (kind.name == "process.pause") {
    PauseParams p;
    assign(p.group, boolean(tb, "group"));
    f.params = p;
  } else if (kind.name == "process.restart") {
    f.params = RestartParams{};
  } else if (kind.name == "exec") {
    ExecParams e;
    assign(e.apply, command(tb, "apply"));
    if (auto revert = command(tb, "revert")) e.revert = std::move(*revert);
    assign(e.timeout, duration(tb, "timeout", Min::positive));
    f.params = std::move(e);
  } else if (kind.name.starts_with("net.")) {
    net_fault_params(tb, kind, f);
  }
}

void Parser::net_fault_params(const Tbl& tb, const KindSpec& kind, FaultSpec& f) {
  if (kind.name == "net.latency") {
    LatencyParams p;
    if (require(tb, "latency")) assign(p.latency, duration(tb, "latency", Min::zero));
    assign(p.jitter, duration(tb, "jitter", Min::zero));
    if (auto d = choice(tb, "distribution", {"uniform", "normal"}))
      p.distribution = *d == "normal" ? LatencyDistribution::normal : LatencyDistribution::uniform;
    assign(p.direction, direction(tb));
    assign(p.toxicity, probability(tb, "toxicity"));
    f.params = p;
  } else if (kind.name == "net.bandwidth") {
    BandwidthParams p;
    if (require(tb, "rate")) assign(p.rate, rate(tb, "rate"));
    assign(p.direction, direction(tb));
    assign(p.toxicity, probability(tb, "toxicity"));
    f.params = p;
  } else if (kind.name == "net.blackhole") {
    BlackholeParams p;
    assign(p.direction, direction(tb));
    if (auto d = duration(tb, "close_after", Min::positive)) p.close_after = *d;
    assign(p.toxicity, probability(tb, "toxicity"));
    f.params = p;
  } else if (kind.name == "net.reset") {
    ResetParams p;
    assign(p.after, duration(tb, "after", Min::zero));
    assign(p.toxicity, probability(tb, "toxicity"));
    f.params = p;
  } else if (kind.name == "net.slow_close") {
    SlowCloseParams p;
    if (require(tb, "delay")) assign(p.delay, duration(tb, "delay", Min::positive));
    assign(p.direction, direction(tb));
    assign(p.toxicity, probability(tb, "toxicity"));
    f.params = p;
  } else if (kind.name == "net.slicer") {
    SlicerParams p;
    assign(p.size, integer(tb, "size", 1, kIntMax));
    assign(p.size_variation, integer(tb, "size_variation", 0, kIntMax));
    assign(p.delay, duration(tb, "delay", Min::zero));
    assign(p.direction, direction(tb));
    assign(p.toxicity, probability(tb, "toxicity"));
    f.params = p;
  } else if (kind.name == "net.partition") {
    f.params = partition_params(tb);
  }
}

PartitionParams Parser::partition_params(const Tbl& tb) {
  PartitionParams p;
  assign(p.groups, groups(tb, "groups"));
  if (const auto* n = tb.t->get("isolate")) assign(p.isolate, identifier_of(*n, "isolate"));
  if (auto shape = choice(tb, "shape", {"halves", "ring"}))
    p.shape = *shape == "ring" ? PartitionShape::ring : PartitionShape::halves;
  if (auto mode = choice(tb, "mode", {"drop", "reject"}))
    p.mode = *mode == "reject" ? PartitionMode::reject : PartitionMode::drop;
  if (auto d = choice(tb, "direction", {"both", "one"})) p.one_way = *d == "one";
  return p;
}

void Parser::default_fault_names(const std::vector<bool>& named) {
  std::map<std::string, int> unnamed_per_kind;
  for (std::size_t i = 0; i < s_.faults.size(); ++i)
    if (!named[i] && !s_.faults[i].kind.empty()) ++unnamed_per_kind[s_.faults[i].kind];
  std::map<std::string, int> seen;
  for (std::size_t i = 0; i < s_.faults.size(); ++i) {
    auto& f = s_.faults[i];
    if (named[i] || f.kind.empty()) continue;
    f.name = unnamed_per_kind[f.kind] > 1 ? fmt::format("{}#{}", f.kind, ++seen[f.kind]) : f.kind;
  }
}

StepSpec Parser::step(const Tbl& tb, std::string default_name) {
  StepSpec st;
  st.pos = table_pos(tb);
  st.name = std::move(default_name);
  check_keys(tb, key_names(step_keys()));
  assign(st.name, nonempty(tb, "name"));
  if (require(tb, "command")) assign(st.command, command(tb, "command"));
  assign(st.timeout, duration(tb, "timeout", Min::positive));
  assign(st.expect_exit, integer(tb, "expect_exit", 0, 255));
  assign(st.expect_stdout, text(tb, "expect_stdout"));
  assign(st.expect_stdout_regex, regex(tb, "expect_stdout_regex"));
  if (const auto* n = tb.t->get("from")) assign(st.from, identifier_of(*n, "from"));
  return st;
}

RecoverySpec Parser::recovery_step(const Tbl& tb) {
  RecoverySpec st;
  st.pos = table_pos(tb);
  st.name = fmt::format("recovery #{}", s_.recovery.size() + 1);
  check_keys(tb, key_names(recovery_keys()));
  assign(st.name, nonempty(tb, "name"));
  if (require(tb, "command")) assign(st.command, command(tb, "command"));
  if (auto on = choice(tb, "on", {"detect", "inject", "start"}))
    st.on = *on == "detect" ? RecoveryTrigger::detect : *on == "inject" ? RecoveryTrigger::inject : RecoveryTrigger::start;
  assign(st.after, duration(tb, "after", Min::zero));
  assign(st.timeout, duration(tb, "timeout", Min::positive));
  assign(st.expect_exit, integer(tb, "expect_exit", 0, 255));
  assign(st.expect_stdout, text(tb, "expect_stdout"));
  return st;
}

WorkloadSpec Parser::workload(const Tbl& tb) {
  WorkloadSpec w;
  w.pos = table_pos(tb);
  const KindSpec* kind = nullptr;
  if (require(tb, "kind")) {
    const auto* n = tb.t->get("kind");
    if (auto name = string_of(*n, "kind")) {
      kind = find_workload_kind(*name);
      std::vector<std::string> names;
      for (const auto& k : workload_kinds()) names.push_back(k.name);
      if (!kind)
        error(at(*n), fmt::format("unknown workload kind '{}'", *name),
              suggest(*name, names, fmt::format("known kinds: {}", join_comma(names))));
      else
        w.kind = kind->name == "tcp" ? WorkloadKind::tcp : WorkloadKind::exec;
    }
  }
  // The keys of the workload's kind; every kind's keys while the kind is unknown.
  std::vector<std::string> allowed = key_names(workload_common_keys());
  for (const auto& k : workload_kinds())
    if (!kind || &k == kind)
      for (const auto& key : key_names(k.keys)) allowed.push_back(key);
  check_keys(tb, allowed, [&](const std::string& key) -> std::string {
    for (const auto& k : workload_kinds())
      if (kind && contains(key_names(k.keys), key))
        return fmt::format("'{}' does not apply to a {} workload (only {} workloads accept it)", key, kind->name, k.name);
    return {};
  });
  if (require(tb, "name")) assign(w.name, nonempty(tb, "name"));
  if (auto r = integer(tb, "rate", 1, 1000)) w.rate = static_cast<double>(*r);
  assign(w.timeout, duration(tb, "timeout", Min::positive));
  if (require(tb, "read")) assign(w.read, command(tb, "read"));
  assign(w.read_timeout, duration(tb, "read_timeout", Min::positive));
  if (kind && w.kind == WorkloadKind::exec && require(tb, "write")) assign(w.write, command(tb, "write"));
  if (kind && w.kind == WorkloadKind::tcp) {
    assign(w.host, nonempty(tb, "host"));
    if (require(tb, "port")) assign(w.port, port(tb, "port"));
    if (require(tb, "send")) assign(w.send, nonempty(tb, "send"));
    if (require(tb, "expect")) assign(w.expect, nonempty(tb, "expect"));
  }
  return w;
}

void Parser::thresholds(const toml::table& root) {
  s_.thresholds.pos.file = file_;
  const auto* n = root.get("thresholds");
  if (!n) return;
  entity_ = "thresholds";
  const auto* t = n->as_table();
  if (!t) {
    error(at(*n), fmt::format("'thresholds' must be a table, written [thresholds], not {}", type_phrase(*n)));
    entity_.clear();
    return;
  }
  const Tbl tb{t, "thresholds", "[thresholds]"};
  auto& th = s_.thresholds;
  th.pos = table_pos(tb);
  check_keys(tb, key_names(threshold_keys()));
  if (auto d = duration(tb, "rto", Min::positive)) th.rto = *d;
  if (auto d = duration(tb, "ttd", Min::positive)) th.ttd = *d;
  if (auto d = duration(tb, "mttr", Min::positive)) th.mttr = *d;
  if (auto v = integer(tb, "max_recurrence", 0, kIntMax)) th.max_recurrence = static_cast<int>(*v);
  if (auto p = percent(tb, "min_availability")) th.min_availability = *p;
  if (const auto* n = t->get("max_data_loss")) {
    if (n->is_integer()) {
      if (auto v = integer_of(*n, "max_data_loss", 0, kInt64Max)) th.max_data_loss = *v;
    } else if (n->is_string()) {
      if (auto d = duration_of(*n, "max_data_loss", Min::zero)) th.max_data_loss_window = *d;
    } else {
      type_error(*n, "max_data_loss", "a count of writes (integer) or a duration string");
    }
  }
  entity_.clear();
}

// ---------------------------------------------------------------- the whole file

std::vector<Diagnostic> Parser::with_semantic_checks() const {
  // Semantic problems of what could be read, except those in a table that
  // already has a parse error or at the place of one: these are most likely
  // consequences of it (a value that failed to parse is left at its default).
  std::set<std::pair<int, int>> noisy;
  for (const auto& d : diags_) noisy.insert({d.pos.line, d.pos.column});
  for (const auto& e : errored_) {
    if (e.empty()) continue;
    if (auto it = s_.positions.find(e); it != s_.positions.end()) noisy.insert({it->second.line, it->second.column});
  }
  std::vector<Diagnostic> all = diags_;
  for (auto& d : validate(s_))
    if (!noisy.count({d.pos.line, d.pos.column})) all.push_back(std::move(d));
  return all;
}

ParseResult Parser::run(std::string_view text) {
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(file_));
  } catch (const toml::parse_error& e) {
    ParseResult r;
    r.diagnostics.push_back({at(e.source()), fmt::format("TOML syntax error: {}", e.description()), {}});
    return r;
  }
  top_level(root);
  ParseResult r;
  if (diags_.empty()) {
    r.scenario = std::move(s_);
    return r;
  }
  r.diagnostics = with_semantic_checks();
  std::stable_sort(r.diagnostics.begin(), r.diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
  });
  return r;
}

}  // namespace

ParseResult parse_scenario(std::string_view text, const std::string& file) { return Parser(file).run(text); }

ParseResult load_scenario(const std::string& path) {
  auto unreadable = [&](const std::string& why) {
    ParseResult r;
    r.diagnostics.push_back({{path, 0, 0}, fmt::format("cannot read scenario file '{}': {}", path, why), {}});
    return r;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return unreadable("it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return unreadable(std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return unreadable("read error");
  return parse_scenario(buffer.str(), path);
}

}  // namespace faultline
