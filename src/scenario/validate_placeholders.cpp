// The placeholder checks of validate(): every {NAME} in a field that takes
// placeholders names something declared where it is used ({port.NAME} a
// port of some service, {link.NAME} a link, {addr.NAME} a service with
// network = "namespaces", {service.dir} only inside a [[service]], {seq}
// only in a workload's write), with a did-you-mean otherwise. A fault
// kind's commands are found through its descriptor (fault_kind.hpp).
#include <algorithm>
#include <fmt/format.h>
#include <set>

#include "scenario/check_context.hpp"
#include "scenario/dynamic_target.hpp"
#include "scenario/fault_kind.hpp"
#include "scenario/placeholders.hpp"
#include "scenario/validate_checks.hpp"

namespace faultline {

namespace {

/// Checks the placeholders of one scenario.
class PlaceholderCheck : public CheckContext {
 public:
  using CheckContext::CheckContext;
  void run();

 private:
  void runbook_placeholders();
  void check_text(const std::string& text, const std::string& path, const SourcePos& fallback,
                  const ServiceSpec* svc);
  void check_command(const Command& c, const std::string& path, const SourcePos& fallback, const ServiceSpec* svc);
  void check_probe_texts(const ProbeSpec& p, const std::string& path, const ServiceSpec* svc);

  bool allow_seq_ = false;  ///< {seq} is defined (inside a [[workload]]'s write templates)
  bool allow_select_ = false;  ///< {service.name}, {service.addr} are the candidate's (a select command)
};

void PlaceholderCheck::check_text(const std::string& text, const std::string& path, const SourcePos& fallback,
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
  for (const auto& svc : s_.services)  // a service on a [[host]]: the host's address
    if (!svc.name.empty() && service_host(s_, svc)) ports.push_back("addr." + svc.name);
  std::set<std::string> reported;
  for (const auto& use : uses) {
    const std::string& name = use.name;
    const auto& builtin = builtin_placeholders();
    const bool service_scoped = name == "service.dir" || name == "service.name";
    if (allow_seq_ && name == "seq") continue;
    if (allow_select_ && std::ranges::find(select_placeholders(), name) != select_placeholders().end()) continue;
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
                         : fmt::format("'{{{}}}' is only defined with network = \"namespaces\" or for a service on a [[host]]", name),
            !namespaces()    ? std::string("services on loopback are at 127.0.0.1; or set network = \"namespaces\", or give the service a [[host]]")
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

void PlaceholderCheck::check_command(const Command& c, const std::string& path, const SourcePos& fallback,
                              const ServiceSpec* svc) {
  const SourcePos pos = where(path, c.pos.line > 0 ? c.pos : fallback);
  if (c.shell && c.argv.size() == 3) {
    check_text(c.argv[2], path, pos, svc);
    return;
  }
  for (std::size_t i = 0; i < c.argv.size(); ++i) check_text(c.argv[i], fmt::format("{}[{}]", path, i), pos, svc);
}

void PlaceholderCheck::check_probe_texts(const ProbeSpec& p, const std::string& path, const ServiceSpec* svc) {
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

void PlaceholderCheck::run() {
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
    if (f.select) {  // the candidate's {service.name} and {service.addr} are defined here
      allow_select_ = true;
      check_command(f.select->command, fmt::format("fault[{}].{}.select", i, f.select->key), f.select->pos, nullptr);
      allow_select_ = false;
    }
    const FaultKind* kind = fault_kind(f.kind);
    if (!kind || !kind->commands) continue;
    FaultParams params = f.params;  // the visitor may write; this only reads
    kind->commands(params, [&](std::string_view key, Command& c) {
      check_command(c, fmt::format("fault[{}].{}", i, key), f.pos, nullptr);
    });
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
  for (std::size_t k = 0; k < s_.strategies.size(); ++k) {  // issue 17
    const auto& strategy = s_.strategies[k];
    steps(strategy.verify, fmt::format("strategy[{}].verify", k));
    for (std::size_t i = 0; i < strategy.recovery.size(); ++i) {
      const auto& st = strategy.recovery[i];
      const std::string path = fmt::format("strategy[{}].recovery[{}]", k, i);
      check_command(st.command, path + ".command", st.pos, nullptr);
      if (st.expect_stdout) check_text(*st.expect_stdout, path + ".expect_stdout", st.pos, nullptr);
    }
  }
}

void PlaceholderCheck::runbook_placeholders() {
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

void check_placeholders(const Scenario& s, std::vector<Diagnostic>& out) { PlaceholderCheck(s, out).run(); }

}  // namespace faultline
