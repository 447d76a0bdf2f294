#include "os/host_caps.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "os/faketime.hpp"
#include "os/netns.hpp"
#include "os/resource_cgroup.hpp"
#include "os/process_signal.hpp"
#include "os/procfs.hpp"

namespace faultline {

namespace {

constexpr int kCapNetAdmin = 12;  // linux/capability.h

/// Whether the effective capability set of this process has CAP_NET_ADMIN.
bool has_net_admin(std::string& detail) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("CapEff:")) continue;
    const unsigned long long eff = std::stoull(line.substr(7), nullptr, 16);
    const bool yes = (eff >> kCapNetAdmin) & 1;
    detail = ::geteuid() == 0 ? "running as root" : yes ? "CAP_NET_ADMIN in the effective set" : "not root, no CAP_NET_ADMIN";
    return yes;
  }
  detail = "cannot read /proc/self/status";
  return false;
}

constexpr int kCapSysAdmin = 21;  // linux/capability.h

/// Whether this process may mount a tmpfs (CAP_SYS_ADMIN in its effective
/// set). Read, not tried: a probe killed between its mount and its unmount
/// would leave a mount behind, and validate and run probe too.
bool can_mount(std::string& detail) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("CapEff:")) continue;
    const unsigned long long eff = std::stoull(line.substr(7), nullptr, 16);
    const bool yes = (eff >> kCapSysAdmin) & 1;
    detail = yes ? (::geteuid() == 0 ? "running as root" : "CAP_SYS_ADMIN in the effective set")
                 : "not root, no CAP_SYS_ADMIN";
    return yes;
  }
  detail = "cannot read /proc/self/status";
  return false;
}

HostCap cap(std::string name, std::string disables) {
  HostCap c;
  c.name = std::move(name);
  c.disables = std::move(disables);
  return c;
}

void set(HostCap& c, const SyncResult& r, const std::string& what) {
  c.present = r.ok();
  c.detail = r.ok() ? what : what + " failed: " + r.why();
}

std::string hint_links() {
  return "use proxied links instead: remove network = \"namespaces\" and send the traffic through [[link]]s "
         "(`faultline doctor` shows what this host supports)";
}

constexpr std::string_view kProbePrefix = "fl-probe-";

}  // namespace

std::string probe_netns_name(int pid, unsigned long long start_time) {
  return fmt::format("{}{}-{}", kProbePrefix, pid, start_time);
}

std::optional<std::pair<int, unsigned long long>> probe_netns_owner(const std::string& name) {
  if (!name.starts_with(kProbePrefix)) return std::nullopt;
  const std::string rest = name.substr(kProbePrefix.size());
  // fl-probe-PID, as earlier versions named it: start time 0 (unknown).
  if (!rest.empty() && rest.size() <= 9 && rest.find_first_not_of("0123456789") == std::string::npos)
    return std::pair<int, unsigned long long>{std::stoi(rest), 0};
  const auto dash = rest.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == rest.size() || dash > 9) return std::nullopt;
  const std::string pid = rest.substr(0, dash), start = rest.substr(dash + 1);
  if (pid.find_first_not_of("0123456789") != std::string::npos ||
      start.find_first_not_of("0123456789") != std::string::npos || start.size() > 19)
    return std::nullopt;
  return std::pair<int, unsigned long long>{std::stoi(pid), std::stoull(start)};
}

std::vector<std::string> remove_stale_probe_namespaces(std::vector<std::string>* failed) {
  std::vector<std::string> removed;
  const SyncResult list = run_command_sync({"ip", "netns", "list"});
  if (!list.ok()) return removed;  // no `ip` or no namespaces: nothing of ours either
  std::istringstream in(list.output);
  std::string line;
  while (std::getline(in, line)) {
    const std::string name = line.substr(0, line.find(' '));  // "NAME (id: 3)"
    const auto owner = probe_netns_owner(name);
    if (!owner) continue;
    const bool alive = owner->second == 0 ? ::kill(owner->first, 0) == 0 || errno != ESRCH
                                          : same_process(owner->first, owner->second);
    if (alive) continue;
    const SyncResult del = run_command_sync({"ip", "netns", "delete", name});
    if (del.ok()) removed.push_back(name);
    // Gone all the same: another prober's sweep (a run starting at the same
    // moment) deleted it first. Not ours to report, and not left behind.
    else if (!netns_exists(name)) continue;
    else if (failed) failed->push_back(name + ": " + del.why());
  }
  return removed;
}

HostCaps probe_host_caps() {
  HostCaps c;
  c.net_admin = cap("root or CAP_NET_ADMIN", "network = \"namespaces\" (everything below)");
  c.namespaces = cap("network namespaces + veth", "network = \"namespaces\"");
  c.nftables = cap("nftables", "net.partition with network = \"namespaces\"");
  c.tbf = cap("tbf (sch_tbf)", "net.bandwidth with network = \"namespaces\"");
  c.netem = cap("netem (sch_netem)", "net.latency with network = \"namespaces\"");
  c.pidfd = cap("pidfd", "exact waits of `faultline cleanup` and the watchdog for revert commands");

  c.pidfd.present = open_pidfd(::getpid()).valid();
  c.pidfd.detail = c.pidfd.present ? "pidfd_open(2) works" : "pidfd_open(2) failed";

  c.net_admin.present = has_net_admin(c.net_admin.detail);
  c.mount = cap("mount a tmpfs (root)", "disk.full (its run-owned filesystem)");
  c.mount.present = can_mount(c.mount.detail);
  // The cgroup controllers of the resource kinds: which interface offers each.
  const CgroupLayout layout = probe_cgroup_layout();
  const std::pair<HostCap*, CgroupController> controllers[] = {{&c.cgroup_cpu, CgroupController::cpu},
                                                              {&c.cgroup_memory, CgroupController::memory},
                                                              {&c.cgroup_io, CgroupController::io}};
  for (auto [row, ctl] : controllers) {
    const std::string name = controller_name(ctl);
    *row = cap(fmt::format("cgroup {} (root)", name),
               ctl == CgroupController::cpu      ? "resource.cpu, stress"
               : ctl == CgroupController::memory ? "resource.memory"
                                                 : "resource.io");
    const auto place = layout.at(ctl);
    const std::string why = cgroup_refusal(layout, ctl);
    row->present = why.empty();
    row->detail = place.version == 0 ? place.why
                                     : fmt::format("cgroup v{} at {}{}", place.version, place.base.string(),
                                                   why.empty() ? "" : "; " + why);
  }
  c.faketime = cap("libfaketime", "clock.skew");
  if (const auto lib = libfaketime_path()) {
    c.faketime.present = true;
    c.faketime.detail = lib->string();
  } else {
    c.faketime.detail = "libfaketime.so.1 in no /usr/lib/*/faketime/ (Debian: apt-get install libfaketime)";
  }
  // What a killed prober left is cleared first (see the header).
  remove_stale_probe_namespaces();
  const std::string ns = probe_netns_name(::getpid(), process_start_time(::getpid()).value_or(0));
  const SyncResult add = run_command_sync({"ip", "netns", "add", ns});
  if (!add.ok()) {
    c.namespaces.detail = "`ip netns add` failed: " + add.why();
    for (HostCap* dep : {&c.nftables, &c.tbf, &c.netem}) dep->detail = "not tried: no network namespace";
    return c;
  }
  set(c.namespaces, run_command_sync({"ip", "-n", ns, "link", "add", "flprobe0", "type", "veth", "peer", "name", "flprobe1"}),
      "a namespace with a veth pair");
  set(c.nftables, run_command_sync(in_netns(ns, {"nft", "add", "table", "inet", "faultline_probe"})), "an inet table");
  // The qdiscs go on the veth ends, as the faults put them ("lo" when the
  // veth could not be made, so that a missing veth does not hide them).
  const std::string dev0 = c.namespaces.present ? "flprobe0" : "lo";
  const std::string dev1 = c.namespaces.present ? "flprobe1" : "lo";
  set(c.tbf, run_command_sync(tbf_argv(ns, dev0, 125000)), "a tbf qdisc");
  if (!c.namespaces.present) run_command_sync(qdisc_delete_argv(ns, dev0));
  LatencyParams delay;
  delay.latency = std::chrono::milliseconds(1);
  set(c.netem, run_command_sync(netem_argv(ns, dev1, delay)), "a netem qdisc");
  run_command_sync({"ip", "netns", "delete", ns});
  return c;
}

std::vector<Diagnostic> host_check(const Scenario& s, const HostCaps& caps) {
  std::vector<Diagnostic> out;
  if (s.network != NetworkMode::namespaces) return out;
  auto at = [&](const std::string& path, const SourcePos& fallback) {
    auto it = s.positions.find(path);
    SourcePos p = it != s.positions.end() ? it->second : fallback;
    if (p.file.empty()) p.file = s.file;
    return p;
  };
  const SourcePos network_pos = at("network", SourcePos{s.file, 0, 0});
  for (const HostCap* c : {&caps.net_admin, &caps.namespaces})
    if (!c->present) {
      out.push_back({network_pos,
                     fmt::format("network = \"namespaces\" needs {}, which this host does not give faultline ({})",
                                 c->name, c->detail),
                     hint_links()});
      return out;  // nothing below can work either
    }
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const FaultSpec& f = s.faults[i];
    const HostCap* need = f.kind == "net.partition" ? &caps.nftables
                          : f.kind == "net.bandwidth" ? &caps.tbf
                          : f.kind == "net.latency"   ? &caps.netem
                                                      : nullptr;
    if (!need || need->present) continue;
    out.push_back({at(fmt::format("fault[{}].kind", i), f.pos),
                   fmt::format("fault '{}' ({}) with network = \"namespaces\" needs {}, which this host does not have ({})",
                               f.name, f.kind, need->name, need->detail),
                   hint_links()});
  }
  return out;
}

std::string render_doctor(const HostCaps& caps) {
  std::string out = fmt::format("{:<28} {:<4} {}\n", "capability", "", "without it / how it was found");
  int missing = 0;
  for (const HostCap* c : caps.all()) {
    out += fmt::format("{:<28} {:<4} {}\n", c->name, c->present ? "yes" : "NO",
                       c->present ? c->detail : fmt::format("disables {}: {}", c->disables, c->detail));
    if (!c->present) ++missing;
  }
  out += missing == 0 ? "every capability is present: network = \"namespaces\" and every net.* fault kind work here\n"
                      : fmt::format("{} missing: scenarios that need it are refused by validate, plan and run; "
                                    "proxied links ([[link]]) need none of these\n",
                                    missing);
  return out;
}

}  // namespace faultline
