#include "os/netns.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <map>
#include <sstream>
#include <set>
#include <system_error>

#include "scenario/topology.hpp"

extern char** environ;

namespace faultline {

namespace {

std::string first_line(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) return line;
  return {};
}

std::string dotted(std::uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

std::string join_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

/// A file descriptor closed on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

// ---------------------------------------------------------------- subnet

std::uint64_t Subnet::usable() const {
  const std::uint64_t size = std::uint64_t{1} << (32 - prefix);
  return size >= 4 ? size - 2 : 0;
}

std::string Subnet::address(std::uint32_t n) const { return dotted(network + n); }

std::string Subnet::text() const { return fmt::format("{}/{}", dotted(network), prefix); }

std::optional<Subnet> parse_subnet(const std::string& text, std::string* why) {
  auto fail = [&](std::string w) -> std::optional<Subnet> {
    if (why) *why = std::move(w);
    return std::nullopt;
  };
  const auto slash = text.find('/');
  if (slash == std::string::npos) return fail("expected an IPv4 range such as \"10.77.0.0/24\" (address/prefix)");
  std::uint32_t addr = 0;
  std::size_t i = 0;
  const std::string ip = text.substr(0, slash);
  for (int part = 0; part < 4; ++part) {
    const std::size_t j = part < 3 ? ip.find('.', i) : ip.size();
    if (j == std::string::npos) return fail(fmt::format("'{}' is not an IPv4 address", ip));
    unsigned v = 0;
    auto [p, ec] = std::from_chars(ip.data() + i, ip.data() + j, v);
    if (ec != std::errc() || p != ip.data() + j || j == i || v > 255)
      return fail(fmt::format("'{}' is not an IPv4 address", ip));
    addr = (addr << 8) | v;
    i = j + 1;
  }
  int prefix = 0;
  auto [p, ec] = std::from_chars(text.data() + slash + 1, text.data() + text.size(), prefix);
  if (ec != std::errc() || p != text.data() + text.size() || prefix < 8 || prefix > 30)
    return fail(fmt::format("the prefix length of '{}' must be a number from 8 to 30", text));
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  if ((addr & ~mask) != 0)
    return fail(fmt::format("'{}' has host bits set; the range starts at {}/{}", text, dotted(addr & mask), prefix));
  return Subnet{addr, prefix};
}

// ---------------------------------------------------------------- plan

const NetHost* NetworkPlan::host_of(const std::string& service) const {
  for (const auto& h : hosts)
    if (std::find(h.services.begin(), h.services.end(), service) != h.services.end()) return &h;
  return nullptr;
}

std::string run_tag(const std::string& run_id) {
  return run_id.size() <= 6 ? run_id : run_id.substr(run_id.size() - 6);
}

std::string hub_netns(const std::string& tag) { return "fl-" + tag; }

std::vector<std::pair<std::string, std::vector<std::string>>> scenario_hosts(const Scenario& s) {
  std::vector<std::pair<std::string, std::vector<std::string>>> hosts;
  for (const auto& svc : s.services) {
    const std::string name = svc.host.empty() ? svc.name : svc.host;
    auto it = std::find_if(hosts.begin(), hosts.end(), [&](const auto& h) { return h.first == name; });
    if (it == hosts.end()) hosts.push_back({name, {svc.name}});
    else it->second.push_back(svc.name);
  }
  return hosts;
}

NetworkPlan plan_network(const Scenario& s, const std::string& run_id) {
  std::string why;
  auto subnet = parse_subnet(s.subnet, &why);
  if (!subnet) throw NetworkError("subnet: " + why);
  NetworkPlan plan;
  plan.tag = run_tag(run_id);
  plan.hub = hub_netns(plan.tag);
  plan.subnet = *subnet;
  for (const auto& svc : s.services) plan.services.push_back(svc.name);
  const auto hosts = scenario_hosts(s);
  if (hosts.size() + 1 > subnet->usable())
    throw NetworkError(fmt::format("subnet {} has {} addresses, the run needs {} (the hub and {} host(s))",
                                   subnet->text(), subnet->usable(), hosts.size() + 1, hosts.size()));
  plan.hub_address = subnet->address(1);
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    NetHost h;
    h.name = hosts[i].first;
    h.services = hosts[i].second;
    h.netns = plan.hub + "-" + h.name;
    h.address = subnet->address(static_cast<std::uint32_t>(i + 2));
    h.hub_if = fmt::format("fl{}h{}", plan.tag, i);
    h.host_if = fmt::format("fl{}n{}", plan.tag, i);
    plan.hosts.push_back(std::move(h));
  }
  return plan;
}

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
  const SyncResult r = run_command_sync({"ip", "netns", "list"});
  std::istringstream in(r.output);
  std::string line;
  while (std::getline(in, line))
    if (line.substr(0, line.find(' ')) == netns) return true;
  return false;
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
  Fd own{::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)};
  if (own.fd < 0) throw std::system_error(errno, std::generic_category(), "open /proc/thread-self/ns/net");
  Fd target{::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC)};
  if (target.fd < 0) throw std::system_error(errno, std::generic_category(), "network namespace " + netns);
  if (::setns(target.fd, CLONE_NEWNET) != 0) throw std::system_error(errno, std::generic_category(), "setns " + netns);
  const int fd = ::socket(domain, type | SOCK_CLOEXEC, 0);
  const int saved = errno;
  // Back to our own namespace whatever happened; a thread stuck in the
  // run's namespace would see nothing else.
  if (::setns(own.fd, CLONE_NEWNET) != 0) std::abort();
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
  SyncResult r;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    r.output = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  Fd rd{fds[0]};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    r.output = fmt::format("cannot run `{}`: {}", argv.empty() ? "" : argv[0], std::strerror(rc));
    return r;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{rd.fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = n == 0;
      break;
    }
    const ssize_t got = ::read(rd.fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EOF: every writer (the command and its children) closed it
    if (r.output.size() < 64 * 1024) r.output.append(buf, static_cast<std::size_t>(got));
  }
  if (timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    r.output = fmt::format("timed out after {}", format_duration(timeout));
    return r;
  }
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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
