// Semantic checks of the [[host]] tables and of what refers to them (issue
// 14, docs/distributed.md). What can be known from the file alone is checked
// here, so that a mistake costs exit 2 and no connection: names unique, a
// service's `host` naming a declared host, the files a host names (identity,
// ssh_config, known_hosts) existing, attach only on a service of a host and
// without a restart policy of faultline's, and [[host]] not mixed with
// network = "namespaces" (where `host` means a network namespace of this
// machine). Reachability, keys and the tools on a host can only be known by
// connecting: the run checks them before any fault (exit 3), and
// `faultline doctor --hosts` reports them.
//
// The rule for `host` on a [[service]]: when the scenario declares [[host]]
// tables, `host` names one of them and the service runs there over SSH; a
// service without `host` runs on this machine. Without [[host]] tables,
// `host` keeps its network = "namespaces" meaning.
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "scenario/check_context.hpp"
#include "scenario/validate_checks.hpp"

namespace faultline {

std::string resolve_host_path(const std::string& scenario_file, const std::string& path) {
  if (path.empty()) return path;
  if (path == "~" || path.starts_with("~/")) {
    const char* home = std::getenv("HOME");
    return std::string(home ? home : "") + path.substr(1);
  }
  if (path.front() == '/') return path;
  const auto dir = std::filesystem::path(scenario_file).parent_path();
  return (dir.empty() ? std::filesystem::path(path) : dir / path).string();
}

namespace {

class HostChecks : public CheckContext {
 public:
  using CheckContext::CheckContext;

  void run() {
    names();
    for (std::size_t i = 0; i < s_.hosts.size(); ++i) files(i);
    if (!s_.hosts.empty() && namespaces())
      error(where("network", s_.hosts.front().pos),
            "[[host]] does not combine with network = \"namespaces\" (there 'host' names a network namespace)",
            "remove network = \"namespaces\": services on declared hosts reach each other at the hosts' addresses");
    for (std::size_t i = 0; i < s_.services.size(); ++i) service(i);
    lease();
  }

 private:
  std::string hint() const {
    std::string known;
    for (const auto& h : s_.hosts) known += (known.empty() ? "" : ", ") + h.name;
    return known.empty() ? "declare it in a [[host]] table" : "declared hosts: " + known;
  }

  void names() {
    std::map<std::string, SourcePos> first;
    for (std::size_t i = 0; i < s_.hosts.size(); ++i) {
      const auto& h = s_.hosts[i];
      if (h.name.empty()) continue;
      const SourcePos pos = where(fmt::format("host[{}].name", i), h.pos);
      auto [it, fresh] = first.emplace(h.name, pos);
      if (!fresh)
        error(pos, fmt::format("duplicate host '{}'", h.name),
              it->second.line > 0 ? fmt::format("first declared at line {}", it->second.line) : "");
    }
  }

  void files(std::size_t i) {
    const auto& h = s_.hosts[i];
    const std::pair<const char*, const std::string*> named[] = {
        {"identity", &h.identity}, {"ssh_config", &h.ssh_config}, {"known_hosts", &h.known_hosts}};
    for (const auto& [key, value] : named) {
      if (value->empty()) continue;
      const std::string path = resolve_host_path(s_.file, *value);
      std::error_code ec;
      if (std::filesystem::is_regular_file(path, ec)) continue;
      error(where(fmt::format("host[{}].{}", i, key), h.pos),
            fmt::format("host '{}': {} file '{}' {}", h.name, key, path,
                        std::filesystem::exists(path, ec) ? "is not a regular file" : "does not exist"),
            "a path relative to the scenario file, absolute, or starting with ~/");
    }
  }

  /// guardian_lease: long enough for renewals over ssh (every third of it,
  /// the guardian looking every 200 ms), short enough to bound a lost
  /// controller's faults.
  void lease() {
    const auto it = s_.positions.find("guardian_lease");
    if (it == s_.positions.end() && s_.guardian_lease == std::chrono::seconds(5)) return;
    const SourcePos at = where("guardian_lease", {});
    if (s_.hosts.empty()) {
      error(at, "guardian_lease without [[host]]: no guardian is ever left on this machine",
            "remove it, or declare the [[host]]s whose faults it bounds");
      return;
    }
    if (s_.guardian_lease < std::chrono::seconds(1) || s_.guardian_lease > std::chrono::minutes(10))
      error(at, fmt::format("guardian_lease {} is out of range: 1s..10m", format_duration(s_.guardian_lease)),
            "a lease under 1s leaves no room for renewals over ssh; over 10m a lost controller's faults last too long");
  }

  void service(std::size_t i) {
    const auto& svc = s_.services[i];
    const std::string who = fmt::format("service '{}'", svc.name);
    if (!s_.hosts.empty() && !svc.host.empty() && !find_host(s_, svc.host))
      error(where(fmt::format("service[{}].host", i), svc.pos), fmt::format("{} runs on unknown host '{}'", who, svc.host),
            hint());
    if (!svc.attach.attached()) return;
    const SourcePos at = where(fmt::format("service[{}].attach", i), svc.pos);
    if (s_.hosts.empty() || svc.host.empty())
      error(at, fmt::format("{}: 'attach' needs 'host' naming a declared [[host]]", who),
            "attach finds a service that already runs on a declared host");
    if (svc.restart != RestartPolicy::never)
      error(where(fmt::format("service[{}].restart", i), svc.pos),
            fmt::format("{}: an attached service is restarted by its own supervisor, not faultline", who),
            "remove 'restart' (a process.restart fault restarts it through its supervisor)");
  }
};

}  // namespace

void check_hosts(const Scenario& s, std::vector<Diagnostic>& out) { HostChecks(s, out).run(); }

}  // namespace faultline
