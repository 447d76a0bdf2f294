#include "scenario/validate.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <set>
#include <utility>

#include "scenario/network_plan.hpp"
#include "scenario/placeholders.hpp"
#include "scenario/topology.hpp"

namespace faultline {

namespace {

std::string join_comma(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::vector<std::string> q;
  for (const auto& i : items) q.push_back(fmt::format("'{}'", i));
  return join_comma(q);
}

bool is_process_kind(const std::string& kind) { return kind.rfind("process.", 0) == 0; }

/// net.* kinds that act on one link named by `target`.
bool is_link_kind(const std::string& kind) { return kind.rfind("net.", 0) == 0 && kind != "net.partition"; }

/// net.* kinds that have a kernel version for network = "namespaces".
bool is_namespace_kind(const std::string& kind) {
  return kind == "net.partition" || kind == "net.bandwidth" || kind == "net.latency";
}

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

/// Collects the semantic problems of one scenario.
class Validator {
 public:
  explicit Validator(const Scenario& s) : s_(s) {}

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
    placeholders();
    std::stable_sort(out_.begin(), out_.end(), [](const Diagnostic& a, const Diagnostic& b) {
      return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
    });
    return std::move(out_);
  }

 private:
  /// The position recorded for `path`, else `fallback`.
  SourcePos where(const std::string& path, const SourcePos& fallback) const {
    auto it = s_.positions.find(path);
    SourcePos p = it != s_.positions.end() ? it->second : fallback;
    if (p.file.empty()) p.file = s_.file;
    return p;
  }

  void error(SourcePos pos, std::string message, std::string hint = {}) {
    if (pos.file.empty()) pos.file = s_.file;
    out_.push_back({std::move(pos), std::move(message), std::move(hint)});
  }

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

  std::vector<std::string> service_names() const {
    std::vector<std::string> names;
    for (const auto& svc : s_.services)
      if (!svc.name.empty()) names.push_back(svc.name);
    return names;
  }

  /// "did you mean ...?" or the list of declared services.
  std::string service_hint(const std::string& name) const {
    const auto names = service_names();
    if (names.empty()) return "no [[service]] is declared";
    std::string best = closest(name, names);
    return best.empty() ? fmt::format("declared services: {}", quoted_list(names))
                        : fmt::format("did you mean '{}'?", best);
  }

  void services();
  void dependencies();
  void network();
  bool namespaces() const { return s_.network == NetworkMode::namespaces; }
  void from(const std::string& name, const std::string& path, const SourcePos& fallback, std::string_view label);
  void links();
  void partition(const FaultSpec& f, const PartitionParams& p, const std::string& path, const std::string& label);
  bool is_service(const std::string& name) const {
    return std::any_of(s_.services.begin(), s_.services.end(), [&](const auto& svc) { return svc.name == name; });
  }
  std::vector<std::string> link_names() const {
    std::vector<std::string> names;
    for (const auto& l : s_.links)
      if (!l.name.empty()) names.push_back(l.name);
    return names;
  }
  void probe(const ProbeSpec& p, std::string_view label);
  void probes();
  void faults();
  void fault(const FaultSpec& f, std::size_t i);
  void steps(const std::vector<StepSpec>& steps, std::string_view table);
  void placeholders();
  void runbook();
  void runbook_placeholders();
  bool allow_seq_ = false;  ///< {seq} is defined (inside a [[workload]]'s write templates)
  void check_text(const std::string& text, const std::string& path, const SourcePos& fallback,
                  const ServiceSpec* svc);
  void check_command(const Command& c, const std::string& path, const SourcePos& fallback, const ServiceSpec* svc);
  void check_probe_texts(const ProbeSpec& p, const std::string& path, const ServiceSpec* svc);

  const Scenario& s_;
  std::vector<Diagnostic> out_;
};

void Validator::services() {
  const auto& svcs = s_.services;
  unique(
      svcs.size(), "service name", [&](std::size_t i) { return svcs[i].name; },
      [&](std::size_t i) { return where(fmt::format("service[{}].name", i), svcs[i].pos); });

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
            "add network = \"namespaces\" at the top level, or remove it");
    };
    if (s_.positions.count("subnet")) refuse("subnet", {}, "'subnet'");
    for (std::size_t i = 0; i < s_.services.size(); ++i)
      if (!s_.services[i].host.empty()) refuse(fmt::format("service[{}].host", i), s_.services[i].pos, "'host'");
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
  unique(
      ls.size(), "link name", [&](std::size_t i) { return ls[i].name; },
      [&](std::size_t i) { return where(fmt::format("link[{}].name", i), ls[i].pos); });
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
  const auto& ps = s_.probes;
  unique(
      ps.size(), "probe name", [&](std::size_t i) { return ps[i].name; },
      [&](std::size_t i) { return where(fmt::format("probe[{}].name", i), ps[i].pos); });
  for (std::size_t i = 0; i < ps.size(); ++i)
    probe(ps[i], ps[i].name.empty() ? "[[probe]]" : fmt::format("probe '{}'", ps[i].name));
  const auto& gs = s_.guards;
  unique(
      gs.size(), "guard name", [&](std::size_t i) { return gs[i].name; },
      [&](std::size_t i) { return where(fmt::format("guard[{}].name", i), gs[i].pos); });
  for (std::size_t i = 0; i < gs.size(); ++i)
    probe(gs[i], gs[i].name.empty() ? "[[guard]]" : fmt::format("guard '{}'", gs[i].name));
}

void Validator::faults() {
  const auto& fs = s_.faults;
  unique(
      fs.size(), "fault name", [&](std::size_t i) { return fs[i].name; },
      [&](std::size_t i) { return where(fmt::format("fault[{}].name", i), fs[i].pos); });
  for (std::size_t i = 0; i < fs.size(); ++i) fault(fs[i], i);
}

void Validator::fault(const FaultSpec& f, std::size_t i) {
  const std::string path = fmt::format("fault[{}]", i);
  const std::string label = f.name.empty() ? "[[fault]]" : fmt::format("fault '{}'", f.name);
  if (is_process_kind(f.kind)) {
    if (f.target.empty())
      error(f.pos, fmt::format("missing required key 'target' in {}: a {} fault acts on a service", label, f.kind),
            service_names().empty() ? "" : fmt::format("declared services: {}", quoted_list(service_names())));
    else if (std::none_of(s_.services.begin(), s_.services.end(), [&](const auto& s) { return s.name == f.target; }))
      error(where(path + ".target", f.pos), fmt::format("fault target '{}' is not a declared service", f.target),
            service_hint(f.target));
  }
  if (namespaces() && f.kind.rfind("net.", 0) == 0 && !is_namespace_kind(f.kind)) {
    error(where(path + ".kind", f.pos),
          fmt::format("{} ({}) has no kernel version: with network = \"namespaces\" the net.* kinds are "
                      "net.partition, net.bandwidth and net.latency",
                      label, f.kind),
          "use proxied links for it: network = \"links\" and a [[link]] between the services");
  } else if (namespaces() && is_link_kind(f.kind)) {
    if (f.target.empty())
      error(f.pos, fmt::format("missing required key 'target' in {}: with network = \"namespaces\" a {} fault acts "
                               "on a service's traffic",
                               label, f.kind),
            service_names().empty() ? "" : fmt::format("declared services: {}", quoted_list(service_names())));
    else if (!is_service(f.target))
      error(where(path + ".target", f.pos), fmt::format("fault target '{}' is not a declared service", f.target),
            service_hint(f.target));
    const double toxicity = std::visit(
        [](const auto& p) {
          if constexpr (requires { p.toxicity; }) return p.toxicity;
          else return 1.0;
        },
        f.params);
    if (toxicity != 1.0)
      error(where(path + ".toxicity", f.pos),
            fmt::format("'toxicity' does not apply with network = \"namespaces\": the kernel shapes all of the "
                        "service's traffic, not chosen connections"),
            "remove it, or use proxied links (network = \"links\")");
  } else if (is_link_kind(f.kind)) {
    const auto links = link_names();
    if (f.target.empty())
      error(f.pos, fmt::format("missing required key 'target' in {}: a {} fault acts on a link", label, f.kind),
            links.empty() ? "declare a [[link]] and send the traffic through it"
                          : fmt::format("declared links: {}", quoted_list(links)));
    else if (std::find(links.begin(), links.end(), f.target) == links.end()) {
      const std::string best = closest(f.target, links);
      error(where(path + ".target", f.pos), fmt::format("fault target '{}' is not a declared link", f.target),
            !best.empty()      ? fmt::format("did you mean '{}'?", best)
            : links.empty()    ? std::string("no [[link]] is declared; a net.* fault acts on a link's traffic")
                               : fmt::format("declared links: {}", quoted_list(links)));
    }
  }
  if (f.kind.rfind("net.", 0) == 0 && !f.duration)
    error(f.pos, fmt::format("missing required key 'duration' in {}: a {} fault is held for a time and then "
                             "reverted",
                             label, f.kind));
  if (const auto* sl = std::get_if<SlicerParams>(&f.params); sl && sl->size_variation >= sl->size)
    error(where(path + ".size_variation", f.pos),
          fmt::format("'size_variation' ({}) must be less than 'size' ({})", sl->size_variation, sl->size),
          "a slice is never empty");
  if (const auto* p = std::get_if<PartitionParams>(&f.params); p && f.kind == "net.partition")
    partition(f, *p, path, label);
  if (f.kind == "process.pause" && !f.duration)
    error(f.pos, fmt::format("missing required key 'duration' in {}: a process.pause fault needs to know how long "
                             "to keep the service paused",
                             label));
  if (const auto* e = std::get_if<ExecParams>(&f.params); e && f.kind == "exec" && e->apply.argv.empty())
    error(f.pos, fmt::format("missing required key 'apply' in {}: an exec fault needs the command that applies it", label));
  if (f.at_min > f.at_max)
    error(where(path + ".at", f.pos),
          fmt::format("the 'at' window [{}, {}] starts after it ends", format_duration(f.at_min),
                      format_duration(f.at_max)),
          "write the earlier time first");
  if (f.repeat > 1 && f.every.count() <= 0)
    error(f.pos, fmt::format("missing required key 'every' in {}: 'repeat' = {} needs the time between injections",
                             label, f.repeat));
  {
    // The last injection's end, at_max + (repeat - 1) x every + duration,
    // is added to the clock at run time: bounded far below where 64-bit
    // nanoseconds overflow (about 292 years), checked without overflowing.
    constexpr std::int64_t kMaxSpan = std::chrono::duration_cast<Nanos>(std::chrono::hours(24 * 365 * 100)).count();
    std::int64_t last = 0;
    const bool overflows =
        __builtin_mul_overflow(static_cast<std::int64_t>(f.repeat - 1), f.every.count(), &last) ||
        __builtin_add_overflow(last, f.at_max.count(), &last) ||
        __builtin_add_overflow(last, f.duration.value_or(Nanos(0)).count(), &last);
    if (overflows || last > kMaxSpan)
      error(where(path + (f.repeat > 1 ? ".repeat" : ".at"), f.pos),
            fmt::format("the last injection of {} would end more than 100 years into the iteration", label),
            "lower 'at', 'repeat', 'every' or 'duration'");
  }
  if (f.every.count() > 0 && f.duration && f.every <= *f.duration)
    error(where(path + ".every", f.pos),
          fmt::format("'every' ({}) must be longer than 'duration' ({})", format_duration(f.every),
                      format_duration(*f.duration)),
          "each injection is reverted after 'duration', before the next one");
}

void Validator::partition(const FaultSpec& f, const PartitionParams& p, const std::string& path,
                          const std::string& label) {
  const int ways = (p.groups.empty() ? 0 : 1) + (p.isolate.empty() ? 0 : 1) + (p.shape ? 1 : 0);
  if (ways != 1) {
    error(f.pos,
          ways == 0 ? fmt::format("{} needs 'groups', 'isolate' or 'shape' to say which services to separate", label)
                    : fmt::format("{} has more than one of 'groups', 'isolate' and 'shape'; keep one", label),
          "e.g. isolate = \"db\", shape = \"halves\" or groups = [[\"a\"], [\"b\", \"c\"]]");
    return;
  }
  bool names_ok = true;
  if (!p.isolate.empty() && !is_service(p.isolate)) {
    error(where(path + ".isolate", f.pos), fmt::format("{} isolates unknown service '{}'", label, p.isolate),
          service_hint(p.isolate));
    names_ok = false;
  }
  std::map<std::string, std::size_t> seen;
  std::size_t nonempty = 0;
  for (std::size_t g = 0; g < p.groups.size(); ++g) {
    if (!p.groups[g].empty()) ++nonempty;
    for (std::size_t k = 0; k < p.groups[g].size(); ++k) {
      const std::string& name = p.groups[g][k];
      const SourcePos pos = where(fmt::format("{}.groups[{}][{}]", path, g, k), where(path + ".groups", f.pos));
      if (!is_service(name)) {
        error(pos, fmt::format("{} groups unknown service '{}'", label, name), service_hint(name));
        names_ok = false;
      } else if (auto [it, fresh] = seen.emplace(name, g); !fresh) {
        error(pos, fmt::format("service '{}' is in two groups of {} (groups {} and {})", name, label, it->second + 1, g + 1));
        names_ok = false;
      }
    }
  }
  if (!p.groups.empty() && nonempty < 2) {
    error(where(path + ".groups", f.pos), fmt::format("{} needs at least two non-empty groups to separate", label));
    names_ok = false;
  }
  if (p.shape == PartitionShape::ring && s_.services.size() < 3) {
    error(where(path + ".shape", f.pos),
          fmt::format("shape \"ring\" needs at least 3 services, not {}", s_.services.size()),
          "with fewer, every majority is the same one");
    names_ok = false;
  }
  if (p.shape == PartitionShape::ring && p.one_way) {
    error(where(path + ".direction", f.pos), "direction \"one\" does not apply to shape \"ring\", which has no first group",
          "use direction \"both\" or explicit groups");
    names_ok = false;
  }
  if (!names_ok) return;
  if (namespaces()) {
    // Services that share a host share an address: nothing between them crosses the hub.
    std::map<std::string, std::string> host;
    for (const auto& svc : s_.services) host[svc.name] = svc.host.empty() ? svc.name : svc.host;
    bool any = false;
    for (const auto& [a, b] : partition_cut_pairs(p, faultline::service_names(s_))) {
      if (host[a] != host[b]) {
        any = true;
        continue;
      }
      if (a < b)
        error(f.pos, fmt::format("{} separates services '{}' and '{}', which share host '{}'", label, a, b, host[a]),
              "give them hosts of their own, or put them in the same group");
    }
    if (!any) error(f.pos, fmt::format("{} separates no two hosts", label));
    return;
  }
  if (partition_cuts(p, faultline::service_names(s_), link_ends(s_)).empty())
    error(f.pos, fmt::format("{} cuts no link: no [[link]] connects services that it separates", label),
          "a link is cut when a service in its 'from' and its server (its 'service', or the owner of the port in its "
          "'to') are separated");
}

void Validator::steps(const std::vector<StepSpec>& steps, std::string_view table) {
  unique(
      steps.size(), fmt::format("{} step name", table), [&](std::size_t i) { return steps[i].name; },
      [&](std::size_t i) { return where(fmt::format("{}[{}].name", table, i), steps[i].pos); });
}

// ---------------------------------------------------------------- placeholders

void Validator::check_text(const std::string& text, const std::string& path, const SourcePos& fallback,
                           const ServiceSpec* svc) {
  const auto uses = find_placeholders(text);
  if (uses.empty()) return;
  std::vector<std::string> ports;
  for (const auto& s : s_.services)
    for (const auto& p : s.ports) ports.push_back("port." + p);
  for (const auto& l : s_.links)
    if (!l.name.empty()) ports.push_back("link." + l.name);
  if (namespaces())
    for (const auto& svc : s_.services)
      if (!svc.name.empty()) ports.push_back("addr." + svc.name);
  std::set<std::string> reported;
  for (const auto& use : uses) {
    const std::string& name = use.name;
    const auto& builtin = builtin_placeholders();
    const bool service_scoped = name == "service.dir" || name == "service.name";
    if (allow_seq_ && name == "seq") continue;
    if (std::find(builtin.begin(), builtin.end(), name) != builtin.end() ||
        std::find(ports.begin(), ports.end(), name) != ports.end() || (service_scoped && svc))
      continue;
    if (!reported.insert(name).second) continue;
    const SourcePos pos = where(path, fallback);
    if (service_scoped) {
      error(pos, fmt::format("'{{{}}}' is only defined inside a [[service]]'s own fields", name),
            "use {run.dir} or a path of your own here");
    } else if (name.rfind("link.", 0) == 0) {
      const std::string best = closest(name, ports);
      error(pos, fmt::format("'{{{}}}' names a link that is not declared", name),
            !best.empty() ? fmt::format("did you mean '{{{}}}'?", best)
                          : fmt::format("declare it: [[link]] name = \"{}\"", name.substr(5)));
    } else if (name.rfind("addr.", 0) == 0) {
      const std::string best = closest(name, ports);
      error(pos,
            namespaces() ? fmt::format("'{{{}}}' names a service that is not declared", name)
                         : fmt::format("'{{{}}}' is only defined with network = \"namespaces\"", name),
            !namespaces()    ? std::string("services on loopback are at 127.0.0.1; or set network = \"namespaces\"")
            : !best.empty() ? fmt::format("did you mean '{{{}}}'?", best)
                            : service_hint(name.substr(5)));
    } else if (name.rfind("port.", 0) == 0) {
      const std::string best = closest(name, ports);
      error(pos, fmt::format("'{{{}}}' names a port that no service declares", name),
            !best.empty() ? fmt::format("did you mean '{{{}}}'?", best)
                          : fmt::format("declare it in a service's 'ports', e.g. ports = [\"{}\"]", name.substr(5)));
    } else {
      std::vector<std::string> known = builtin;
      known.insert(known.end(), ports.begin(), ports.end());
      if (svc) known.insert(known.end(), {"service.dir", "service.name"});
      const std::string best = closest(name, known);
      std::vector<std::string> shown;
      for (const auto& k : known) shown.push_back("{" + k + "}");
      error(pos, fmt::format("unknown placeholder '{{{}}}'", name),
            !best.empty() ? fmt::format("did you mean '{{{}}}'?", best)
                          : fmt::format("known placeholders: {}; write {{{{ and }}}} for literal braces", join_comma(shown)));
    }
  }
}

void Validator::check_command(const Command& c, const std::string& path, const SourcePos& fallback,
                              const ServiceSpec* svc) {
  const SourcePos pos = where(path, c.pos.line > 0 ? c.pos : fallback);
  if (c.shell && c.argv.size() == 3) {
    check_text(c.argv[2], path, pos, svc);
    return;
  }
  for (std::size_t i = 0; i < c.argv.size(); ++i) check_text(c.argv[i], fmt::format("{}[{}]", path, i), pos, svc);
}

void Validator::check_probe_texts(const ProbeSpec& p, const std::string& path, const ServiceSpec* svc) {
  auto text = [&](const std::string& t, std::string_view key) { check_text(t, fmt::format("{}.{}", path, key), p.pos, svc); };
  auto opt = [&](const std::optional<std::string>& t, std::string_view key) {
    if (t) text(*t, key);
  };
  text(p.host, "host");
  text(p.port, "port");
  text(p.method, "method");
  text(p.path, "path");
  opt(p.expect_body, "expect_body");
  opt(p.expect_body_regex, "expect_body_regex");
  check_command(p.command, path + ".command", p.pos, svc);
  opt(p.expect_stdout, "expect_stdout");
  opt(p.expect_stdout_regex, "expect_stdout_regex");
}

void Validator::placeholders() {
  for (std::size_t i = 0; i < s_.services.size(); ++i) {
    const auto& svc = s_.services[i];
    const std::string path = fmt::format("service[{}]", i);
    check_command(svc.command, path + ".command", svc.pos, &svc);
    for (const auto& [key, value] : svc.env) check_text(value, fmt::format("{}.env.{}", path, key), svc.pos, &svc);
    check_text(svc.workdir, path + ".workdir", svc.pos, &svc);
    if (svc.ready) check_probe_texts(*svc.ready, path + ".ready", &svc);
  }
  for (std::size_t i = 0; i < s_.links.size(); ++i)
    check_text(s_.links[i].to, fmt::format("link[{}].to", i), s_.links[i].pos, nullptr);
  for (std::size_t i = 0; i < s_.probes.size(); ++i)
    check_probe_texts(s_.probes[i], fmt::format("probe[{}]", i), nullptr);
  for (std::size_t i = 0; i < s_.guards.size(); ++i)
    check_probe_texts(s_.guards[i], fmt::format("guard[{}]", i), nullptr);
  for (std::size_t i = 0; i < s_.faults.size(); ++i) {
    const auto& f = s_.faults[i];
    if (const auto* e = std::get_if<ExecParams>(&f.params)) {
      check_command(e->apply, fmt::format("fault[{}].apply", i), f.pos, nullptr);
      if (e->revert) check_command(*e->revert, fmt::format("fault[{}].revert", i), f.pos, nullptr);
    }
  }
  auto steps = [&](const std::vector<StepSpec>& list, std::string_view table) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& st = list[i];
      const std::string path = fmt::format("{}[{}]", table, i);
      check_command(st.command, path + ".command", st.pos, nullptr);
      if (st.expect_stdout) check_text(*st.expect_stdout, path + ".expect_stdout", st.pos, nullptr);
      if (st.expect_stdout_regex) check_text(*st.expect_stdout_regex, path + ".expect_stdout_regex", st.pos, nullptr);
    }
  };
  steps(s_.setup, "setup");
  steps(s_.verify, "verify");
  runbook_placeholders();
}

// ---------------------------------------------------------------- runbook and workloads

void Validator::runbook() {
  unique(
      s_.recovery.size(), "recovery step name", [&](std::size_t i) { return s_.recovery[i].name; },
      [&](std::size_t i) { return where(fmt::format("recovery[{}].name", i), s_.recovery[i].pos); });
  unique(
      s_.workloads.size(), "workload name", [&](std::size_t i) { return s_.workloads[i].name; },
      [&](std::size_t i) { return where(fmt::format("workload[{}].name", i), s_.workloads[i].pos); });
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

void Validator::runbook_placeholders() {
  for (std::size_t i = 0; i < s_.recovery.size(); ++i) {
    const auto& st = s_.recovery[i];
    const std::string path = fmt::format("recovery[{}]", i);
    check_command(st.command, path + ".command", st.pos, nullptr);
    if (st.expect_stdout) check_text(*st.expect_stdout, path + ".expect_stdout", st.pos, nullptr);
  }
  for (std::size_t i = 0; i < s_.workloads.size(); ++i) {
    const auto& w = s_.workloads[i];
    const std::string path = fmt::format("workload[{}]", i);
    check_command(w.read, path + ".read", w.pos, nullptr);
    check_text(w.host, path + ".host", w.pos, nullptr);
    check_text(w.port, path + ".port", w.pos, nullptr);
    check_text(w.expect, path + ".expect", w.pos, nullptr);
    allow_seq_ = true;
    check_command(w.write, path + ".write", w.pos, nullptr);
    check_text(w.send, path + ".send", w.pos, nullptr);
    allow_seq_ = false;
  }
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
