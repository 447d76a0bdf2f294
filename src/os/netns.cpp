// Building, reading and tearing down a run's network namespaces, and the
// commands of the namespace faults, through `ip`, `nft` and `tc` run to
// completion by run_sync (spawn.hpp). The plan itself (names, addresses) is
// scenario/network_plan.cpp.
#include "os/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <set>
#include <sstream>
#include <system_error>

#include "os/fd.hpp"
#include "os/spawn.hpp"
#include "scenario/topology.hpp"

namespace faultline {

namespace {

std::string first_line(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) return line;
  return {};
}

std::string join_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

std::vector<std::vector<std::string>> bring_up_commands(const NetworkPlan& p) {
  std::vector<std::vector<std::string>> c;
  c.push_back({"ip", "netns", "add", p.hub});
  c.push_back({"ip", "-n", p.hub, "link", "set", "lo", "up"});
  // Forwarding inside the hub only: /proc/sys/net is the namespace's own.
  c.push_back({"ip", "netns", "exec", p.hub, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"});
  for (const auto& h : p.hosts) {
    c.push_back({"ip", "netns", "add", h.netns});
    c.push_back({"ip", "-n", h.netns, "link", "set", "lo", "up"});
    c.push_back({"ip", "-n", p.hub, "link", "add", h.hub_if, "type", "veth", "peer", "name", h.host_if, "netns", h.netns});
    c.push_back({"ip", "-n", p.hub, "addr", "add", p.hub_address + "/32", "dev", h.hub_if});
    c.push_back({"ip", "-n", p.hub, "link", "set", h.hub_if, "up"});
    c.push_back({"ip", "-n", p.hub, "route", "add", h.address + "/32", "dev", h.hub_if});
    c.push_back({"ip", "-n", h.netns, "addr", "add", h.address + "/32", "dev", h.host_if});
    c.push_back({"ip", "-n", h.netns, "link", "set", h.host_if, "up"});
    c.push_back({"ip", "-n", h.netns, "route", "add", p.hub_address, "dev", h.host_if});
    c.push_back({"ip", "-n", h.netns, "route", "add", p.subnet.text(), "via", p.hub_address, "dev", h.host_if});
  }
  return c;
}

void bring_up(const NetworkPlan& plan) {
  // Another run with the same tag (its ids share their last six hex
  // digits): refuse, and touch none of its namespaces.
  if (const auto existing = run_namespaces(plan.tag); !existing.empty())
    throw NetworkError(fmt::format("network namespace {} already exists (another run with tag {}?)", existing.front(),
                                   plan.tag));
  std::vector<std::string> created;
  for (const auto& argv : bring_up_commands(plan)) {
    const SyncResult r = run_command_sync(argv);
    if (r.ok()) {
      if (argv.size() == 4 && argv[1] == "netns" && argv[2] == "add") created.push_back(argv[3]);
      continue;
    }
    // Undo only what this bring-up created: deleting a namespace deletes
    // its veth end, routes and sysctls with it.
    std::string msg = fmt::format("`{}` failed: {}", join_argv(argv), r.why());
    for (auto it = created.rbegin(); it != created.rend(); ++it) {
      const SyncResult del = run_command_sync({"ip", "netns", "delete", *it});
      if (!del.ok()) msg += fmt::format("; and namespace {} could not be deleted: {}", *it, del.why());
    }
    throw NetworkError(msg);
  }
}

std::vector<std::string> run_namespaces(const std::string& tag) {
  const SyncResult r = run_command_sync({"ip", "netns", "list"});
  if (!r.ok()) throw NetworkError("`ip netns list` failed: " + r.why());
  const std::string hub = hub_netns(tag);
  std::vector<std::string> out;
  std::istringstream in(r.output);
  std::string line;
  while (std::getline(in, line)) {
    const std::string name = line.substr(0, line.find(' '));  // "NAME (id: 3)"
    if (name == hub || name.starts_with(hub + "-")) out.push_back(name);
  }
  return out;
}

bool netns_exists(const std::string& netns) {
  // The file `ip netns add` binds the namespace to (setns above opens it):
  // no process to start, and a failure to look is not taken for absence.
  struct stat st {};
  if (::stat(("/run/netns/" + netns).c_str(), &st) == 0) return true;
  return errno != ENOENT && errno != ENOTDIR;
}

std::vector<std::string> tear_down(const std::string& tag) {
  if (tag.empty()) return {};
  std::vector<std::string> deleted;
  std::string errors;
  for (const auto& ns : run_namespaces(tag)) {
    const SyncResult r = run_command_sync({"ip", "netns", "delete", ns});
    if (r.ok()) deleted.push_back(ns);
    else errors += fmt::format("; `ip netns delete {}`: {}", ns, r.why());
  }
  // Read back: what `ip netns list` shows is what is left.
  const auto left = run_namespaces(tag);
  if (!left.empty()) {
    std::string names;
    for (const auto& n : left) names += (names.empty() ? "" : ", ") + n;
    throw NetworkError(fmt::format("network namespace(s) {} are still there{}", names, errors));
  }
  return deleted;
}

std::vector<std::string> in_netns(const std::string& netns, std::vector<std::string> argv) {
  if (netns.empty()) return argv;
  argv.insert(argv.begin(), {"ip", "netns", "exec", netns});
  return argv;
}

int socket_in_netns(const std::string& netns, int domain, int type) {
  if (netns.empty()) {
    const int fd = ::socket(domain, type | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
    return fd;
  }
  const UniqueFd own(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!own) throw std::system_error(errno, std::generic_category(), "open /proc/thread-self/ns/net");
  const UniqueFd target(::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC));
  if (!target) throw std::system_error(errno, std::generic_category(), "network namespace " + netns);
  if (::setns(target.get(), CLONE_NEWNET) != 0) throw std::system_error(errno, std::generic_category(), "setns " + netns);
  const int fd = ::socket(domain, type | SOCK_CLOEXEC, 0);
  const int saved = errno;
  // Back to our own namespace whatever happened; a thread stuck in the
  // run's namespace would see nothing else.
  if (::setns(own.get(), CLONE_NEWNET) != 0) std::abort();
  if (fd < 0) throw std::system_error(saved, std::generic_category(), "socket in " + netns);
  return fd;
}

// ---------------------------------------------------------------- commands

std::string SyncResult::why() const {
  const std::string line = first_line(output);
  if (!line.empty()) return line;
  return code < 0 ? "could not run" : fmt::format("exit {}", code);
}

SyncResult run_command_sync(const std::vector<std::string>& argv, Nanos timeout) {
  SyncOutcome o = run_sync(argv, timeout);
  SyncResult r;
  if (!o.pipe_error.empty()) {
    r.output = std::move(o.pipe_error);
  } else if (o.spawn_error != 0) {
    r.output = fmt::format("cannot run `{}`: {}", argv.empty() ? "" : argv[0], std::strerror(o.spawn_error));
  } else if (o.timed_out) {
    r.output = fmt::format("timed out after {}", format_duration(timeout));
  } else {
    r.code = o.status.signal == 0 ? o.status.code : -1;
    r.output = std::move(o.output);
  }
  return r;
}

// ---------------------------------------------------------------- fault commands

std::vector<AddressCut> partition_address_cuts(const PartitionParams& p, const NetworkPlan& plan) {
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<AddressCut> out;
  for (const auto& [from, to] : partition_cut_pairs(p, plan.services)) {
    const NetHost* a = plan.host_of(from);
    const NetHost* b = plan.host_of(to);
    if (!a || !b || a == b) continue;
    if (seen.insert({a->address, b->address}).second) out.push_back({a->address, b->address});
  }
  return out;
}

std::string partition_table(const std::string& tag, std::size_t application) {
  return fmt::format("faultline_{}_{}", tag, application);
}

std::string partition_ruleset(const std::string& table, const std::vector<AddressCut>& cuts, PartitionMode mode) {
  std::string out = fmt::format("add table inet {0}\nadd chain inet {0} forward {{ type filter hook forward priority 0; policy accept; }}\n", table);
  for (const auto& c : cuts) {
    const std::string match = fmt::format("ip saddr {} ip daddr {}", c.from, c.to);
    if (mode == PartitionMode::drop) {
      out += fmt::format("add rule inet {} forward {} drop\n", table, match);
    } else {
      out += fmt::format("add rule inet {} forward {} meta l4proto tcp reject with tcp reset\n", table, match);
      out += fmt::format("add rule inet {} forward {} reject with icmpx admin-prohibited\n", table, match);
    }
  }
  return out;
}

bool lists_table(const std::string& listing, const std::string& table) {
  std::istringstream in(listing);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (line == "table inet " + table) return true;
  }
  return false;
}

std::vector<std::string> tbf_argv(const std::string& netns, const std::string& dev, double bytes_per_second) {
  const auto bits = static_cast<std::uint64_t>(std::llround(bytes_per_second * 8));
  // The bucket holds 10 ms of traffic, at least one full-size frame; packets
  // wait at most 200 ms in the queue before they are dropped.
  const auto burst = std::max<std::uint64_t>(1600, static_cast<std::uint64_t>(bytes_per_second / 100));
  return {"tc", "-n", netns, "qdisc", "add", "dev", dev, "root", "tbf", "rate", fmt::format("{}bit", bits), "burst",
          fmt::format("{}b", burst), "latency", "200ms"};
}

std::vector<std::string> netem_argv(const std::string& netns, const std::string& dev, const LatencyParams& p) {
  auto us = [](Nanos d) { return fmt::format("{}us", std::chrono::duration_cast<std::chrono::microseconds>(d).count()); };
  std::vector<std::string> argv = {"tc", "-n", netns, "qdisc", "add", "dev", dev, "root", "netem", "delay", us(p.latency)};
  if (p.jitter.count() > 0) {
    argv.push_back(us(p.jitter));
    if (p.distribution == LatencyDistribution::normal) argv.insert(argv.end(), {"distribution", "normal"});
  }
  return argv;
}

std::vector<std::string> qdisc_delete_argv(const std::string& netns, const std::string& dev) {
  return {"tc", "-n", netns, "qdisc", "del", "dev", dev, "root"};
}

std::vector<std::string> qdisc_show_argv(const std::string& netns, const std::string& dev) {
  return {"tc", "-n", netns, "qdisc", "show", "dev", dev};
}

bool shows_qdisc(const std::string& tc_show, const std::string& kind) {
  std::istringstream in(tc_show);
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("qdisc " + kind + " ") && line.find(" root") != std::string::npos) return true;
  return false;
}

bool remove_nft_table(const std::string& netns, const std::string& table, std::string& why) {
  if (!netns_exists(netns)) return true;  // the namespace, and its tables, are gone
  const SyncResult list = run_command_sync(in_netns(netns, {"nft", "list", "tables"}));
  if (!list.ok()) {
    why = "`nft list tables` failed: " + list.why();
    return false;
  }
  if (!lists_table(list.output, table)) return true;
  const SyncResult del = run_command_sync(in_netns(netns, {"nft", "delete", "table", "inet", table}));
  const SyncResult back = run_command_sync(in_netns(netns, {"nft", "list", "tables"}));
  if (back.ok() && !lists_table(back.output, table)) return true;
  why = fmt::format("table inet {} is still in {}{}", table, netns, del.ok() ? "" : ": " + del.why());
  return false;
}

bool remove_root_qdisc(const std::string& netns, const std::string& dev, std::string& why) {
  if (!netns_exists(netns)) return true;
  SyncResult show = run_command_sync(qdisc_show_argv(netns, dev));
  if (!show.ok()) return true;  // the device is gone, and its qdisc with it
  if (!shows_qdisc(show.output, "tbf") && !shows_qdisc(show.output, "netem")) return true;
  const SyncResult del = run_command_sync(qdisc_delete_argv(netns, dev));
  show = run_command_sync(qdisc_show_argv(netns, dev));
  if (!show.ok() || (!shows_qdisc(show.output, "tbf") && !shows_qdisc(show.output, "netem"))) return true;
  why = fmt::format("the qdisc of {} in {} is still there{}", dev, netns, del.ok() ? "" : ": " + del.why());
  return false;
}

}  // namespace faultline
