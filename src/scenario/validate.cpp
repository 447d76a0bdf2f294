// Semantic checks of a parsed scenario (validate.hpp): services, their
// dependencies, the network, links, probes, steps and the runbook here;
// faults in validate_faults.cpp (with each kind's own checks in its
// descriptor), placeholders in validate_placeholders.cpp.
#include "scenario/validate.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <set>
#include <utility>

#include "scenario/check_context.hpp"
#include "scenario/dynamic_target.hpp"
#include "scenario/fault_kind.hpp"
#include "scenario/network_plan.hpp"
#include "scenario/placeholders.hpp"
#include "scenario/topology.hpp"
#include "scenario/validate_checks.hpp"

namespace faultline {

namespace {

/// Whether `host` (of a link's "HOST:PORT") is a loopback address: faultline
/// only proxies to systems on this host.
bool loopback_host(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  if (!host.starts_with("127.")) return false;
  int parts = 0;
  std::size_t i = 0;
  while (i <= host.size()) {
    std::size_t j = host.find('.', i);
    if (j == std::string_view::npos) j = host.size();
    const std::string_view part = host.substr(i, j - i);
    if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(part)) > 255)
      return false;
    ++parts;
    i = j + 1;
  }
  return parts == 4;
}

/// Where a Validator's diagnostics are kept (a base, so that it exists before CheckContext refers to it).
struct Diagnostics {
  std::vector<Diagnostic> list;
};

/// Collects the semantic problems of one scenario.
class Validator : private Diagnostics, public CheckContext {
 public:
  explicit Validator(const Scenario& s) : CheckContext(s, list) {}

  std::vector<Diagnostic> run() {
    services();
    dependencies();
    network();
    links();
    probes();
    faults();
    steps(s_.setup, "setup");
    steps(s_.verify, "verify");
    runbook();
    check_placeholders(s_, list);
    check_hosts(s_, list);
    check_strategies(s_, list);
    std::stable_sort(list.begin(), list.end(), [](const Diagnostic& a, const Diagnostic& b) {
      return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
    });
    return std::move(list);
  }

 private:
  /// Reports every name after its first occurrence; `name_of(i)` is item i's
  /// name ("" = unnamed, skipped), `pos_of(i)` where it was written.
  template <class NameOf, class PosOf>
  void unique(std::size_t count, std::string_view what, NameOf name_of, PosOf pos_of) {
    std::map<std::string, SourcePos> first;
    for (std::size_t i = 0; i < count; ++i) {
      const std::string name = name_of(i);
      if (name.empty()) continue;
      auto [it, fresh] = first.emplace(name, pos_of(i));
      if (!fresh)
        error(pos_of(i), fmt::format("duplicate {} '{}'", what, name),
              it->second.line > 0 ? fmt::format("first declared at line {}", it->second.line) : "");
    }
  }
  /// unique() over the names of `items`, written at "<table>[i].name".
  template <class T>
  void unique_names(const std::vector<T>& items, std::string_view table, std::string_view what) {
    unique(
        items.size(), what, [&](std::size_t i) { return items[i].name; },
        [&](std::size_t i) { return where(fmt::format("{}[{}].name", table, i), items[i].pos); });
  }

  void services();
  void dependencies();
  void network();
  void from(const std::string& name, const std::string& path, const SourcePos& fallback, std::string_view label);
  void links();
  void probe(const ProbeSpec& p, std::string_view label);
  void probes();
  void faults();
  void steps(const std::vector<StepSpec>& steps, std::string_view table);
  void runbook();
};

void Validator::services() {
  const auto& svcs = s_.services;
  unique_names(svcs, "service", "service name");

  std::map<std::string, std::string> port_owner;
  for (std::size_t i = 0; i < svcs.size(); ++i) {
    const auto& svc = svcs[i];
    const std::string path = fmt::format("service[{}]", i);
    for (std::size_t j = 0; j < svc.ports.size(); ++j) {
      auto [it, fresh] = port_owner.emplace(svc.ports[j], svc.name);
      if (!fresh)
        error(where(fmt::format("{}.ports[{}]", path, j), svc.pos),
              fmt::format("port name '{}' is declared twice", svc.ports[j]),
              fmt::format("already declared by service '{}'; port names are unique across the scenario", it->second));
    }
    if (svc.backoff_max < svc.backoff)
      error(where(path + ".backoff_max", where(path + ".backoff", svc.pos)),
            fmt::format("'backoff_max' ({}) must be at least 'backoff' ({})", format_duration(svc.backoff_max),
                        format_duration(svc.backoff)));
    if (svc.ready) probe(*svc.ready, fmt::format("the ready probe of service '{}'", svc.name));
  }
}

void Validator::dependencies() {
  const auto& svcs = s_.services;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < svcs.size(); ++i) index.emplace(svcs[i].name, i);

  auto dep_pos = [&](std::size_t i, std::size_t j) {
    return where(fmt::format("service[{}].depends_on[{}]", i, j), where(fmt::format("service[{}].depends_on", i), svcs[i].pos));
  };
  for (std::size_t i = 0; i < svcs.size(); ++i)
    for (std::size_t j = 0; j < svcs[i].depends_on.size(); ++j) {
      const auto& dep = svcs[i].depends_on[j];
      if (!index.count(dep))
        error(dep_pos(i, j), fmt::format("service '{}' depends on unknown service '{}'", svcs[i].name, dep),
              service_hint(dep));
    }

  // Cycles: depth-first search; each edge back to a service on the stack
  // closes one cycle, reported at that depends_on entry.
  enum class Mark { none, active, done };
  std::vector<Mark> mark(svcs.size(), Mark::none);
  std::vector<std::size_t> stack;
  auto visit = [&](auto&& self, std::size_t u) -> void {
    mark[u] = Mark::active;
    stack.push_back(u);
    for (std::size_t j = 0; j < svcs[u].depends_on.size(); ++j) {
      auto it = index.find(svcs[u].depends_on[j]);
      if (it == index.end()) continue;
      const std::size_t v = it->second;
      if (mark[v] == Mark::none) {
        self(self, v);
      } else if (mark[v] == Mark::active) {
        std::vector<std::string> names;
        for (auto k = std::find(stack.begin(), stack.end(), v); k != stack.end(); ++k) names.push_back(svcs[*k].name);
        names.push_back(svcs[v].name);
        std::string cycle;
        for (const auto& n : names) cycle += (cycle.empty() ? "" : " -> ") + n;
        error(dep_pos(u, j), fmt::format("depends_on cycle: {}", cycle),
              "services in a cycle can never be started; remove one of these dependencies");
      }
    }
    stack.pop_back();
    mark[u] = Mark::done;
  };
  for (std::size_t i = 0; i < svcs.size(); ++i)
    if (mark[i] == Mark::none) visit(visit, i);
}

void Validator::network() {
  if (!namespaces()) {
    auto refuse = [&](const std::string& path, const SourcePos& fallback, const std::string& what) {
      error(where(path, fallback), fmt::format("{} only applies with network = \"namespaces\"", what),
            what == "'host'" ? "add network = \"namespaces\" at the top level, declare the host in a [[host]] table, "
                               "or remove it"
                             : "add network = \"namespaces\" at the top level, or remove it");
    };
    if (s_.positions.count("subnet")) refuse("subnet", {}, "'subnet'");
    for (std::size_t i = 0; i < s_.services.size(); ++i)
      if (!s_.services[i].host.empty() && s_.hosts.empty()) refuse(fmt::format("service[{}].host", i), s_.services[i].pos, "'host'");
    for (std::size_t i = 0; i < s_.probes.size(); ++i)
      if (!s_.probes[i].from.empty()) refuse(fmt::format("probe[{}].from", i), s_.probes[i].pos, "'from'");
    for (std::size_t i = 0; i < s_.services.size(); ++i)
      if (s_.services[i].ready && !s_.services[i].ready->from.empty())
        refuse(fmt::format("service[{}].ready.from", i), s_.services[i].pos, "'from'");
    for (const auto* steps : {&s_.setup, &s_.verify})
      for (std::size_t i = 0; i < steps->size(); ++i)
        if (!(*steps)[i].from.empty())
          refuse(fmt::format("{}[{}].from", steps == &s_.setup ? "setup" : "verify", i), (*steps)[i].pos, "'from'");
    return;
  }
  std::string why;
  if (auto subnet = parse_subnet(s_.subnet, &why); !subnet) {
    error(where("subnet", {}), "'subnet': " + why, "e.g. subnet = \"10.77.0.0/24\"");
  } else if (const auto hosts = scenario_hosts(s_).size(); hosts + 1 > subnet->usable()) {
    error(where("subnet", {}),
          fmt::format("subnet {} has {} address(es), the run needs {} (the hub and {} host(s))", subnet->text(),
                      subnet->usable(), hosts + 1, hosts),
          "use a shorter prefix, e.g. /24");
  }
  for (std::size_t i = 0; i < s_.probes.size(); ++i)
    from(s_.probes[i].from, fmt::format("probe[{}].from", i), s_.probes[i].pos, "probe");
  for (std::size_t i = 0; i < s_.services.size(); ++i)
    if (s_.services[i].ready) from(s_.services[i].ready->from, fmt::format("service[{}].ready.from", i), s_.services[i].pos, "ready probe");
  for (std::size_t i = 0; i < s_.setup.size(); ++i) from(s_.setup[i].from, fmt::format("setup[{}].from", i), s_.setup[i].pos, "setup step");
  for (std::size_t i = 0; i < s_.verify.size(); ++i) from(s_.verify[i].from, fmt::format("verify[{}].from", i), s_.verify[i].pos, "verify step");
}

void Validator::from(const std::string& name, const std::string& path, const SourcePos& fallback, std::string_view label) {
  if (name.empty() || is_service(name)) return;
  error(where(path, fallback), fmt::format("{} runs from unknown service '{}'", label, name), service_hint(name));
}

void Validator::links() {
  const auto& ls = s_.links;
  unique_names(ls, "link", "link name");
  for (std::size_t i = 0; i < ls.size(); ++i) {
    const auto& l = ls[i];
    const std::string path = fmt::format("link[{}]", i);
    const std::string label = l.name.empty() ? "[[link]]" : fmt::format("link '{}'", l.name);
    if (namespaces()) {
      error(l.pos, fmt::format("{} cannot be used with network = \"namespaces\": links are loopback proxies of the "
                               "host, which the services' namespaces cannot reach",
                               label),
            "connect to {addr.SERVICE}:{port.NAME} instead, or use network = \"links\"");
      continue;
    }
    if (const auto colon = l.to.rfind(':'); colon != std::string::npos && !loopback_host(l.to.substr(0, colon)))
      error(where(path + ".to", l.pos),
            fmt::format("{} forwards to '{}', which is not on this host", label, l.to.substr(0, colon)),
            "faultline only proxies to loopback addresses: 127.x.x.x, [::1] or localhost");
    if (!l.service.empty() && !is_service(l.service))
      error(where(path + ".service", l.pos), fmt::format("{} names unknown service '{}'", label, l.service),
            service_hint(l.service));
    for (std::size_t j = 0; j < l.from.size(); ++j)
      if (!is_service(l.from[j]))
        error(where(fmt::format("{}.from[{}]", path, j), where(path + ".from", l.pos)),
              fmt::format("{} is used from unknown service '{}'", label, l.from[j]), service_hint(l.from[j]));
  }
}

void Validator::probe(const ProbeSpec& p, std::string_view label) {
  const bool network = p.kind == ProbeKind::tcp || p.kind == ProbeKind::http;
  if (network && p.port.empty())
    error(p.pos, fmt::format("missing required key 'port' in {} ({} probe)", label,
                             p.kind == ProbeKind::tcp ? "a tcp" : "an http"));
  if (p.kind == ProbeKind::exec && p.command.argv.empty())
    error(p.pos, fmt::format("missing required key 'command' in {} (an exec probe)", label));
}

void Validator::probes() {
  for (const auto& [list, table] : {std::pair(&s_.probes, "probe"), std::pair(&s_.guards, "guard")}) {
    unique_names(*list, table, fmt::format("{} name", table));
    for (const auto& p : *list) probe(p, p.name.empty() ? fmt::format("[[{}]]", table) : fmt::format("{} '{}'", table, p.name));
  }
}

void Validator::faults() {
  unique_names(s_.faults, "fault", "fault name");
  for (std::size_t i = 0; i < s_.faults.size(); ++i) {
    if (s_.faults[i].select) {  // a target chosen at injection: checked per candidate
      check_dynamic_fault(s_, list, i);
      continue;
    }
    FaultCheck c(s_, list, s_.faults[i], i);
    check_fault(c);
  }
  // Timed actions need a fault to act beside: recovery is measured from injections.
  if (!s_.faults.empty() &&
      std::none_of(s_.faults.begin(), s_.faults.end(), [](const FaultSpec& f) { return f.injection; }))
    error(s_.faults.front().pos, "every [[fault]] has 'injection' = false: nothing is injected to measure recovery from",
          "make one of them a fault (remove 'injection = false')");
}


void Validator::steps(const std::vector<StepSpec>& steps, std::string_view table) {
  unique_names(steps, table, fmt::format("{} step name", table));
}

// ---------------------------------------------------------------- runbook and workloads

void Validator::runbook() {
  unique_names(s_.recovery, "recovery", "recovery step name");
  unique_names(s_.workloads, "workload", "workload name");
  const bool steady = std::any_of(s_.probes.begin(), s_.probes.end(), [](const ProbeSpec& p) { return p.steady_state; });
  for (std::size_t i = 0; i < s_.recovery.size(); ++i)
    if (s_.recovery[i].on == RecoveryTrigger::detect && !steady)
      error(where(fmt::format("recovery[{}].on", i), s_.recovery[i].pos),
            fmt::format("recovery step '{}' waits for detection, but no steady-state [[probe]] can detect impact",
                        s_.recovery[i].name),
            "declare a [[probe]], or write on = \"inject\" or on = \"start\"");
  const auto& th = s_.thresholds;
  if ((th.max_data_loss || th.max_data_loss_window) && s_.workloads.empty())
    error(where("thresholds.max_data_loss", th.pos), "'max_data_loss' needs a [[workload]] to measure data loss",
          "declare a [[workload]] that writes and reads back, or remove the threshold");
}

}  // namespace

std::vector<Diagnostic> validate(const Scenario& s) { return Validator(s).run(); }

std::vector<const ServiceSpec*> start_order(const Scenario& s) {
  // Repeatedly take the first service (in declaration order) whose
  // dependencies are all placed; a cycle (invalid) ends in declaration order.
  std::vector<const ServiceSpec*> order;
  std::set<std::string> placed;
  std::set<std::string> declared;
  for (const auto& svc : s.services) declared.insert(svc.name);
  std::vector<bool> done(s.services.size(), false);
  while (order.size() < s.services.size()) {
    bool progressed = false;
    for (std::size_t i = 0; i < s.services.size(); ++i) {
      if (done[i]) continue;
      const auto& deps = s.services[i].depends_on;
      if (std::all_of(deps.begin(), deps.end(),
                      [&](const std::string& d) { return placed.count(d) || !declared.count(d); })) {
        done[i] = true;
        order.push_back(&s.services[i]);
        placed.insert(s.services[i].name);
        progressed = true;
        break;
      }
    }
    if (!progressed) {
      for (std::size_t i = 0; i < s.services.size(); ++i)
        if (!done[i]) {
          done[i] = true;
          order.push_back(&s.services[i]);
          placed.insert(s.services[i].name);
          break;
        }
    }
  }
  return order;
}

}  // namespace faultline
