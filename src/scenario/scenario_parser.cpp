// TOML -> Scenario: the tables. The only files that include toml++ are this
// one and scenario_parser_values.* (the typed value readers it uses).
//
// Every key of every table is checked against the catalog (catalog.hpp), every
// value is converted with its type, unit and range checked, and every problem
// is collected with the position of the node it concerns. A [[fault]]'s own
// keys are read by its kind's descriptor (fault_kind.hpp) through a
// ParamReader bound to its table. Checks that relate several values or
// tables live in validate.cpp; when this file found errors (so that no
// scenario is returned) it still runs them on what it could read, so that one
// run shows every problem at once.
#include "scenario/scenario_parser.hpp"
#include "scenario/scenario_parser_partial.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>
#include <utility>

#include "os/input_file.hpp"
#include "scenario/catalog.hpp"
#include "scenario/check_context.hpp"
#include "scenario/fault_kind.hpp"
#include "scenario/scenario_parser_recover.hpp"
#include "scenario/scenario_parser_select.hpp"
#include "scenario/scenario_parser_values.hpp"
#include "scenario/scenario_parser_vars.hpp"
#include "scenario/validate.hpp"

namespace faultline {

namespace {

using namespace parse;

/// Injections of one fault within an iteration: a run keeps each one's
/// schedule and outcome in memory and in its record, so the count is bounded.
constexpr std::int64_t kMaxRepeat = 100000;

/// Whether a fault kind accepts a key: its own keys, and the common ones
/// except 'target' and 'duration' where the descriptor says it has none, and
/// 'injection' (a timed action) only on exec.
bool fault_accepts(const FaultKind& kind, const std::string& key) {
  if (contains(key_names(fault_common_keys()), key)) {
    if (key == "target") return kind.target != FaultTarget::none;
    if (key == "duration") return kind.duration != FaultDuration::not_allowed;
    if (key == "injection") return kind.spec.name == "exec";
    if (key == "env") return kind.commands != nullptr;
    return true;
  }
  return contains(key_names(kind.spec.keys), key);
}

/// Keys a fault of `kind` accepts (those of every kind when `kind` is null).
std::vector<std::string> fault_keys(const FaultKind* kind) {
  std::vector<std::string> keys;
  for (const auto& key : key_names(fault_common_keys()))
    if (!kind || fault_accepts(*kind, key)) keys.push_back(key);
  const auto add_keys_of = [&keys](const FaultKind& k) {
    for (const auto& key : key_names(k.spec.keys))
      if (!contains(keys, key)) keys.push_back(key);
  };
  if (kind) add_keys_of(*kind);
  else
    for (const FaultKind* k : registered_fault_kinds()) add_keys_of(*k);
  return keys;
}

/// "a" or "an" before `word`.
std::string_view article(std::string_view word) {
  return !word.empty() && std::string_view("aeiou").find(word.front()) != std::string_view::npos ? "an" : "a";
}

/// Why a fault of `kind` refuses a key that other kinds accept; "" for a key
/// no kind knows (an unknown key).
std::string fault_key_refusal(const FaultKind* kind, const std::string& key) {
  std::vector<std::string> accepting;
  for (const FaultKind* k : registered_fault_kinds())
    if (fault_accepts(*k, key)) accepting.push_back(k->spec.name);
  if (accepting.empty() || !kind) return {};
  return fmt::format("'{}' does not apply to {} {} fault (only {} faults accept it)", key, article(kind->spec.name),
                     kind->spec.name, join_and(accepting));
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
  return fmt::format("'{}' does not apply to {} {} probe (only {} probes accept it)", key, article(kind->name),
                     kind->name, join_and(accepting));
}

class Parser : public ValueReader {
 public:
  explicit Parser(std::string file) : ValueReader(std::move(file)) {}

  PartialParse run(std::string_view text);

 private:
  /// The name in the table's 'kind' when `known` has it; else reports it.
  std::optional<std::string> kind_name(const Tbl& tb, std::string_view what, const std::vector<std::string>& known);

  void top_level(const toml::table& root);
  void recovered_after(const toml::node& n);
  template <class F>
  void each_table(const toml::table& root, std::string_view key, F f, const std::string& outer = "");
  ServiceSpec service(const Tbl& tb);
  HostSpec host(const Tbl& tb);
  std::map<std::string, std::string> env_of(const Tbl& tb) { return read_env(*this, tb); }
  LinkSpec link(const Tbl& tb);
  ProbeSpec probe(const Tbl& tb, bool readiness);
  ProbeSpec guard(const Tbl& tb);
  const KindSpec* probe_kind(const Tbl& tb, ProbeSpec& p);
  void probe_kind_keys(const Tbl& tb, ProbeSpec& p);
  FaultSpec fault(const Tbl& tb, bool& named);
  const FaultKind* fault_kind_of(const Tbl& tb, FaultSpec& f);
  void fault_at(const Tbl& tb, FaultSpec& f);
  StepSpec step(const Tbl& tb, std::string default_name, bool verify = false);
  RecoverySpec recovery_step(const Tbl& tb, std::size_t number);
  WorkloadSpec workload(const Tbl& tb);
  void thresholds(const toml::table& root);
  void thresholds_of(const Tbl& tb, Thresholds& th);
  StrategySpec strategy(const Tbl& tb);
  void default_fault_names(const std::vector<bool>& named);

  std::vector<Diagnostic> with_semantic_checks() const;
};

std::optional<std::string> Parser::kind_name(const Tbl& tb, std::string_view what,
                                             const std::vector<std::string>& known) {
  const auto* n = tb.t->get("kind");
  auto name = string_of(*n, "kind");
  if (!name) return std::nullopt;
  if (contains(known, *name)) return name;
  error(at(*n), fmt::format("unknown {} kind '{}'", what, *name),
        suggest(*name, known, fmt::format("known kinds: {}", join_comma(known))));
  return std::nullopt;
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
  assign(s_.guardian_lease, duration(tb, "guardian_lease", Min::positive));

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
             [&](const Tbl& t) { s_.verify.push_back(step(t, fmt::format("verify #{}", s_.verify.size() + 1), true)); });
  each_table(root, "recovery", [&](const Tbl& t) { s_.recovery.push_back(recovery_step(t, s_.recovery.size() + 1)); });
  each_table(root, "workload", [&](const Tbl& t) { s_.workloads.push_back(workload(t)); });
  thresholds(root);
  each_table(root, "guard", [&](const Tbl& t) { s_.guards.push_back(guard(t)); });
  each_table(root, "host", [&](const Tbl& t) { s_.hosts.push_back(host(t)); });
  each_table(root, "strategy", [&](const Tbl& t) { s_.strategies.push_back(strategy(t)); });
  if (auto p = percent(tb, "confidence")) {
    if (*p > 0 && *p < 100) s_.confidence = *p;
    else error(at(*root.get("confidence")), "'confidence' must be above 0% and below 100%", "write \"95%\"");
  }
  assign(s_.max_secondary_outage_rate, percent(tb, "max_secondary_outage_rate"));
}

// A [[strategy]]: its own runbook, verify steps and thresholds, each read as
// its top-level namesake and positioned at "strategy[i].recovery[j]" etc.
StrategySpec Parser::strategy(const Tbl& tb) {
  StrategySpec st;
  st.pos = table_pos(tb);
  check_keys(tb, key_names(strategy_keys()));
  if (require(tb, "name")) assign(st.name, identifier(tb, "name"));
  assign(st.description, text(tb, "description"));
  const std::string outer = entity_;
  each_table(*tb.t, "recovery", [&](const Tbl& t) { st.recovery.push_back(recovery_step(t, st.recovery.size() + 1)); },
             outer);
  each_table(*tb.t, "verify",
             [&](const Tbl& t) { st.verify.push_back(step(t, fmt::format("verify #{}", st.verify.size() + 1), true)); },
             outer);
  if (const auto* n = tb.t->get("thresholds")) {
    entity_ = join_path(outer, "thresholds");
    if (const auto* t = n->as_table()) thresholds_of(Tbl{t, entity_, "[strategy.thresholds]"}, st.thresholds);
    else error(at(*n), fmt::format("'thresholds' must be a table, written [strategy.thresholds], not {}", type_phrase(*n)));
    entity_ = outer;
  }
  return st;
}

HostSpec Parser::host(const Tbl& tb) {
  HostSpec h;
  h.pos = table_pos(tb);
  check_keys(tb, key_names(host_keys()));
  if (require(tb, "name")) assign(h.name, identifier(tb, "name"));
  if (require(tb, "address")) assign(h.address, nonempty(tb, "address"));
  assign(h.user, nonempty(tb, "user"));
  assign(h.port, integer(tb, "port", 1, 65535));
  assign(h.identity, nonempty(tb, "identity"));
  assign(h.ssh_config, nonempty(tb, "ssh_config"));
  assign(h.known_hosts, nonempty(tb, "known_hosts"));
  assign(h.sudo, boolean(tb, "sudo"));
  return h;
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
void Parser::each_table(const toml::table& root, std::string_view key, F f, const std::string& outer) {
  // `outer`: the path of the table `root` is ("strategy[0]"), "" at the top level.
  const std::string table = outer.empty() ? std::string(key) : fmt::format("strategy.{}", key);
  const auto* n = root.get(key);
  if (!n) return;
  const auto* arr = n->as_array();
  if (!arr) {
    entity_ = outer;
    error(at(*n), fmt::format("'{0}' must be an array of tables, written [[{1}]], not {2}", key, table, type_phrase(*n)));
    return;
  }
  for (std::size_t i = 0; i < arr->size(); ++i) {
    entity_ = join_path(outer, fmt::format("{}[{}]", key, i));
    const auto* t = (*arr)[i].as_table();
    if (!t) {
      error(at((*arr)[i]), fmt::format("each entry of '{0}' must be a table ([[{1}]]), not {2}", key, table, type_phrase((*arr)[i])));
      continue;
    }
    s_.positions[entity_] = at(*t);
    f(Tbl{t, entity_, fmt::format("[[{}]]", table)});
  }
  entity_ = outer;
}

ServiceSpec Parser::service(const Tbl& tb) {
  ServiceSpec svc;
  svc.pos = table_pos(tb);
  check_keys(tb, key_names(service_keys()));
  if (require(tb, "name")) assign(svc.name, identifier(tb, "name"));
  // An attached service runs already: faultline has no command for it.
  if (tb.t->contains("attach")) {
    assign(svc.attach, attach(tb, "attach"));
    if (const auto* c = tb.t->get("command"))
      error(at(*c), "'command' does not apply to an attached service (faultline never starts it)",
            "remove 'command', or 'attach' to have faultline start the service");
  }
  else if (require(tb, "command")) assign(svc.command, command(tb, "command"));
  svc.env = env_of(tb);
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
  assign(svc.host, identifier(tb, "host"));
  return svc;
}

LinkSpec Parser::link(const Tbl& tb) {
  LinkSpec l;
  l.pos = table_pos(tb);
  check_keys(tb, key_names(link_keys()));
  if (require(tb, "name")) assign(l.name, identifier(tb, "name"));
  if (require(tb, "to")) assign(l.to, address(tb, "to"));
  assign(l.service, identifier(tb, "service"));
  assign(l.from, identifiers(tb, "from"));
  if (auto protocol = choice(tb, "protocol", {"tcp", "http"})) l.http = *protocol == "http";
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
  // A ready probe answers whether the service is up: on a loaded machine an
  // answer slower than a short interval still says yes, so its limit is not
  // the interval (scenarios/README.md, `ready`).
  if (readiness && p.timeout.count() == 0) p.timeout = std::max<Nanos>(p.interval, 1s);
  if (!readiness) assign(p.steady_state, boolean(tb, "steady_state"));
  assign(p.from, identifier(tb, "from"));
  if (kind) probe_kind_keys(tb, p);
  return p;
}

const KindSpec* Parser::probe_kind(const Tbl& tb, ProbeSpec& p) {
  std::vector<std::string> names;
  for (const auto& k : probe_kinds()) names.push_back(k.name);
  auto name = kind_name(tb, "probe", names);
  if (!name) return nullptr;
  p.kind = *name == "tcp" ? ProbeKind::tcp : *name == "http" ? ProbeKind::http : ProbeKind::exec;
  return find_probe_kind(*name);
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
    with_env(p.command, env_of(tb));
  }
}

FaultSpec Parser::fault(const Tbl& tb, bool& named) {
  FaultSpec f;
  f.pos = table_pos(tb);
  const FaultKind* kind = require(tb, "kind") ? fault_kind_of(tb, f) : nullptr;

  check_keys(tb, fault_keys(kind), [&](const std::string& key) { return fault_key_refusal(kind, key); });

  if (auto name = nonempty(tb, "name")) {
    f.name = *name;
    named = true;
  }
  if (!kind || fault_accepts(*kind, "target")) {
    f.select = read_target_select(*this, tb, "target");  // a table: chosen at injection
    if (!f.select) assign(f.target, nonempty(tb, "target"));
  }
  fault_at(tb, f);
  if (!kind || fault_accepts(*kind, "duration")) assign(f.duration, duration(tb, "duration", Min::positive));
  assign(f.repeat, integer(tb, "repeat", 1, kMaxRepeat));
  assign(f.every, duration(tb, "every", Min::positive));
  if (!kind || fault_accepts(*kind, "injection")) assign(f.injection, boolean(tb, "injection"));
  if (kind) {
    TableParamReader reader(*this, tb);
    // A dynamic `isolate` (a table) is the runner's to fill in; the kind reads the rest.
    const bool dynamic_isolate = contains(key_names(kind->spec.keys), "isolate") && is_select_table(tb, "isolate");
    if (dynamic_isolate) f.select = read_target_select(*this, tb, "isolate");
    HidingParamReader hiding(reader, dynamic_isolate ? "isolate" : "");
    f.params = kind->read(hiding);
    if (kind->commands)
      kind->commands(f.params, [env = env_of(tb)](std::string_view, Command& c) { with_env(c, env); });
  }
  return f;
}

const FaultKind* Parser::fault_kind_of(const Tbl& tb, FaultSpec& f) {
  auto name = kind_name(tb, "fault", registered_fault_kind_names());
  if (!name) return nullptr;
  f.kind = *name;
  return fault_kind(*name);
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

StepSpec Parser::step(const Tbl& tb, std::string default_name, bool verify) {
  StepSpec st;
  st.pos = table_pos(tb);
  st.name = std::move(default_name);
  check_keys(tb, key_names(verify ? verify_keys() : step_keys()));
  if (verify) assign(st.integrity, boolean(tb, "integrity"));
  assign(st.name, nonempty(tb, "name"));
  if (require(tb, "command")) assign(st.command, command(tb, "command"));
  assign(st.timeout, duration(tb, "timeout", Min::positive));
  assign(st.expect_exit, integer(tb, "expect_exit", 0, 255));
  assign(st.expect_stdout, text(tb, "expect_stdout"));
  assign(st.expect_stdout_regex, regex(tb, "expect_stdout_regex"));
  assign(st.from, identifier(tb, "from"));
  with_env(st.command, env_of(tb));
  return st;
}

RecoverySpec Parser::recovery_step(const Tbl& tb, std::size_t number) {
  RecoverySpec st;
  st.pos = table_pos(tb);
  st.name = fmt::format("recovery #{}", number);
  check_keys(tb, key_names(recovery_keys()));
  assign(st.name, nonempty(tb, "name"));
  if (require(tb, "command")) assign(st.command, command(tb, "command"));
  if (auto on = choice(tb, "on", {"detect", "inject", "start"}))
    st.on = *on == "detect" ? RecoveryTrigger::detect : *on == "inject" ? RecoveryTrigger::inject : RecoveryTrigger::start;
  assign(st.after, duration(tb, "after", Min::zero));
  assign(st.timeout, duration(tb, "timeout", Min::positive));
  assign(st.expect_exit, integer(tb, "expect_exit", 0, 255));
  assign(st.expect_stdout, text(tb, "expect_stdout"));
  with_env(st.command, env_of(tb));
  return st;
}

WorkloadSpec Parser::workload(const Tbl& tb) {
  WorkloadSpec w;
  w.pos = table_pos(tb);
  const KindSpec* kind = nullptr;
  if (require(tb, "kind")) {
    std::vector<std::string> names;
    for (const auto& k : workload_kinds()) names.push_back(k.name);
    if (auto name = kind_name(tb, "workload", names)) {
      kind = find_workload_kind(*name);
      w.kind = *name == "tcp" ? WorkloadKind::tcp : WorkloadKind::exec;
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
  const auto env = env_of(tb);
  with_env(w.write, env);
  with_env(w.read, env);
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
  thresholds_of(Tbl{t, "thresholds", "[thresholds]"}, s_.thresholds);
  entity_.clear();
}

void Parser::thresholds_of(const Tbl& tb, Thresholds& th) {
  const toml::table* t = tb.t;
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

PartialParse Parser::run(std::string_view text) {
  Recovered doc = parse_recovering(text, file_);
  PartialParse out;
  ParseResult& r = out.result;
  if (!doc.root) {
    r.diagnostics = std::move(doc.syntax);
    return out;
  }
  toml::table& root = *doc.root;
  expand_vars(root, *this);
  top_level(root);
  if (diags_.empty() && doc.syntax.empty()) {
    r.scenario = std::move(s_);
    return out;
  }
  // Past a syntax error, what the blanked lines' tables now lack is not the user's problem.
  for (auto& d : with_semantic_checks())
    if (doc.syntax.empty() || !doc.damaged_tables.count(d.pos.line)) doc.syntax.push_back(std::move(d));
  r.diagnostics = std::move(doc.syntax);
  out.read_so_far = std::move(s_);
  std::stable_sort(r.diagnostics.begin(), r.diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
  });
  return out;
}

}  // namespace

PartialParse parse_scenario_partial(std::string_view text, const std::string& file) { return Parser(file).run(text); }

ParseResult parse_scenario(std::string_view text, const std::string& file) {
  return parse_scenario_partial(text, file).result;
}

ParseResult load_scenario(const std::string& path) { return load_scenario_partial(path).result; }

PartialParse load_scenario_partial(const std::string& path) {
  std::string text;
  const std::string why = read_input_file(path, text);
  if (why.empty()) return parse_scenario_partial(text, path);
  PartialParse r;
  Diagnostic unreadable;
  unreadable.pos.file = path;
  unreadable.message = fmt::format("cannot read scenario file '{}': {}", path, why);
  r.result.diagnostics.push_back(std::move(unreadable));
  return r;
}

}  // namespace faultline
