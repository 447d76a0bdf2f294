// net.latency and net.bandwidth across [[host]]s — a delay or a limit on the
// wire between machines (issue 14, docs/distributed.md). The kinds' third
// version: proxied links (a proxy stage) and network = "namespaces" (a root
// qdisc on a veth end, ns_qdisc.cpp) are the other two; the kinds' files
// (net_latency.cpp, net_bandwidth.cpp) hand over to this one, through
// with_host_version, when the fault's target is a service that runs on a
// [[host]].
//
// How it works: the target service's host is the "server", as for a link:
// downstream (what the service sends) is shaped on its host, toward every
// peer; upstream (what reaches the service) on every peer, toward the
// service's host. The peers are the other hosts that run the scenario's
// services. On every host involved, one script (one round trip on the
// host's multiplexed connection) finds the device toward each destination
// (`ip route get ADDR`), and makes there:
//   - a root htb of the run's own, handle R: (unclassified traffic is sent
//     as it comes: htb's "default 0"), with one class R:1 (10 Gbit/s, far
//     above what it carries);
//   - under that class the kind's own qdisc, handle L:, built from the same
//     parameters as the namespaces version (netem_argv: netem delay +/-
//     jitter; tbf_argv: a token bucket of `rate` holding 10 ms, 200 ms of
//     queue);
//   - one u32 filter per destination address (ip dst A/32, ip6 dst A/128)
//     sending that traffic into R:1.
// Only packets to the other hosts' addresses are classified: the
// controller's ssh connection, its probes and everything else leave as
// before. R and L are derived from the run id and the application's number
// (qdisc_handles), which is how a revert and `faultline cleanup` find the
// run's own qdisc and nothing else. The script reads `tc qdisc show` back
// (both handles on each device) and removes what it made when any step
// fails. A device that already has a root qdisc (another tool's shaping) is
// never replaced: the apply fails naming it. A rate is for all the shaped
// traffic of a host in that direction together, as in namespaces; 'toxicity'
// does not apply (validation refuses a value other than 1), and the hosts
// must be named by IP addresses (the filters match addresses).
//
// Applying, on all hosts at once: first a guardian (os/guardian.hpp) holding
// the revert script is left on each host, then the qdiscs are made. Before
// any fault, the run asks each host what `faultline doctor` asks (tc;
// sch_netem for a delay) and stops with exit 3 naming the host and its
// [[host]] table's file:line:col when one lacks them (missing_qdisc_tools).
//
// How it is undone: each host's guardian is told to revert; when it cannot
// say it did, the revert script runs directly. The script deletes the root
// qdisc of every device whose root is the run's htb R: (the class, the leaf
// and the filters go with it, and the packets the leaf held are released),
// then reads `tc qdisc show` back. If the controller dies, hangs or is cut
// off, every host reverts by itself within the guardian's lease. The crash
// ledger holds one command that runs the revert on every host at once over
// ssh (remote_undo_all), for the watchdog and `faultline cleanup`.
#include "fault_injectors/host_qdisc.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>

#include "fault_injectors/host_partition.hpp"
#include "fault_injectors/kernel_command.hpp"
#include "fault_injectors/net_bandwidth.hpp"
#include "fault_injectors/proxy/link_set.hpp"
#include "fault_injectors/remote_fault.hpp"
#include "fault_injectors/remote_steps.hpp"
#include "os/spawn.hpp"
#include "os/subprocess.hpp"
#include "system/host_doctor.hpp"

namespace faultline {

namespace {

/// Tools in /usr/sbin are outside a user's PATH on Debian; with sudo = true,
/// $S is "sudo -n" unless the user is root.
std::string prelude(bool sudo) {
  std::string s = "PATH=$PATH:/usr/sbin:/sbin; export PATH\nS=\n";
  if (sudo) s += "[ \"$(id -u)\" = 0 ] || S='sudo -n'\n";
  return s;
}

std::string hex(unsigned handle) { return fmt::format("{:x}", handle); }

/// A link kind's description as it is across hosts: its target is a
/// service, and a rate is for all of a host's shaped traffic, not per connection.
std::string on_service(std::string d) {
  if (auto at = d.rfind(" on link '"); at != std::string::npos) d.replace(at, 10, " on service '");
  if (auto at = d.find(" per connection,"); at != std::string::npos) d.replace(at, 16, " per host and direction,");
  return d;
}

/// The awk program printing the devices whose root qdisc is the run's htb.
std::string run_devices_awk(const QdiscHandles& h) {
  return shell_quote(fmt::format("$1 == \"qdisc\" && $2 == \"htb\" && $3 == \"{}:\" && $6 == \"root\" {{ print $5 }}",
                                 hex(h.root)));
}

}  // namespace

QdiscLeaf qdisc_leaf(const std::vector<std::string>& root_argv) {
  QdiscLeaf leaf;
  const auto root = std::find(root_argv.begin(), root_argv.end(), "root");
  if (root == root_argv.end() || root + 1 == root_argv.end()) return leaf;
  leaf.kind = *(root + 1);
  leaf.params.assign(root + 2, root_argv.end());
  return leaf;
}

std::map<std::string, HostShape> host_shapes(const std::string& target, NetDirection direction,
                                             const std::map<std::string, std::string>& addresses) {
  std::map<std::string, HostShape> out;
  const auto t = addresses.find(target);
  if (t == addresses.end()) return out;
  for (const auto& [host, address] : addresses) {
    if (host == target) continue;
    if (direction != NetDirection::upstream) {
      HostShape& s = out[target];
      s.address = t->second;
      s.to.push_back(address);
    }
    if (direction != NetDirection::downstream) {
      HostShape& s = out[host];
      s.address = address;
      s.to.push_back(t->second);
    }
  }
  return out;
}

QdiscHandles qdisc_handles(const std::string& run_id, std::size_t application) {
  // FNV-1a over "RUNID/N": 30 bits of the run's identity in two handles
  // (each 0x8000..0xffff, clear of the small numbers people write by hand).
  std::uint64_t x = 1469598103934665603ull;
  for (const char ch : fmt::format("{}/{}", run_id, application)) {
    x ^= static_cast<unsigned char>(ch);
    x *= 1099511628211ull;
  }
  QdiscHandles h;
  h.root = 0x8000u | static_cast<unsigned>(x & 0x7fffu);
  h.leaf = 0x8000u | static_cast<unsigned>((x >> 15) & 0x7fffu);
  if (h.leaf == h.root) h.leaf = 0x8000u | ((h.leaf + 1) & 0x7fffu);
  return h;
}

std::string host_qdisc_apply_script(const QdiscHandles& h, const std::vector<std::string>& to, const QdiscLeaf& leaf,
                                    bool sudo) {
  std::string params;
  for (const auto& p : leaf.params) params += " " + shell_quote(p);
  std::string s = prelude(sudo) + fmt::format(
      "R={r}; L={l}\n"
      "undo() {{ for d in $($S tc qdisc show | awk {awk}); do $S tc qdisc del dev \"$d\" root; done; }}\n"
      "fail() {{ echo \"$1\" >&2; undo; exit 3; }}\n"
      "devs=\n"
      "shape() {{\n"
      "  d=$(ip route get \"$1\" | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -n 1)\n"
      "  [ -n \"$d\" ] || fail \"no route to $1\"\n"
      "  case \" $devs \" in *\" $d \"*) ;; *)\n"
      "    $S tc qdisc add dev \"$d\" root handle $R: htb default 0 ||\n"
      "      fail \"cannot make the run's htb on $d (its root qdisc now: $($S tc qdisc show dev \"$d\" | head -n 1))\"\n"
      "    devs=\"$devs $d\"\n"
      "    $S tc class add dev \"$d\" parent $R: classid $R:1 htb rate 10gbit burst 1mb cburst 1mb || fail \"htb class on $d\"\n"
      "    $S tc qdisc add dev \"$d\" parent $R:1 handle $L: {kind}{params} || fail \"{kind} on $d\"\n"
      "  esac\n"
      "  $S tc filter add dev \"$d\" parent $R: protocol $2 prio 1 u32 match $3 dst \"$1/$4\" flowid $R:1 ||\n"
      "    fail \"filter to $1 on $d\"\n"
      "}}\n",
      fmt::arg("r", hex(h.root)), fmt::arg("l", hex(h.leaf)), fmt::arg("awk", run_devices_awk(h)),
      fmt::arg("kind", leaf.kind), fmt::arg("params", params));
  for (const auto& a : to) {
    const bool v6 = a.find(':') != std::string::npos;
    s += fmt::format("shape {} {}\n", shell_quote(a), v6 ? "ipv6 ip6 128" : "ip ip 32");
  }
  s += fmt::format(
      "for d in $devs; do\n"
      "  l=$($S tc qdisc show dev \"$d\") || fail \"tc qdisc show dev $d failed\"\n"
      "  printf '%s\\n' \"$l\" | grep -q \"^qdisc htb $R: root\" || fail \"htb $R: is not listed on $d after it was made\"\n"
      "  printf '%s\\n' \"$l\" | grep -q \"^qdisc {kind} $L: parent $R:1\" || fail \"{kind} $L: is not listed on $d after it was made\"\n"
      "done\n"
      "echo applied on$devs\n",
      fmt::arg("kind", leaf.kind));
  return s;
}

std::string host_qdisc_revert_script(const QdiscHandles& h, bool sudo) {
  return prelude(sudo) + fmt::format(
      "command -v tc >/dev/null 2>&1 || exit 0\n"
      "l=$($S tc qdisc show) || {{ echo 'tc qdisc show failed' >&2; exit 3; }}\n"
      "for d in $(printf '%s\\n' \"$l\" | awk {awk}); do $S tc qdisc del dev \"$d\" root; done\n"
      "l=$($S tc qdisc show) || exit 3\n"
      "left=$(printf '%s\\n' \"$l\" | awk {awk})\n"
      "[ -z \"$left\" ] || {{ echo \"htb {r}: is still on\" $left >&2; exit 3; }}\n"
      "exit 0\n",
      fmt::arg("awk", run_devices_awk(h)), fmt::arg("r", hex(h.root)));
}

std::string host_qdisc_list_script(bool sudo) { return prelude(sudo) + "$S tc qdisc show\n"; }

bool lists_run_qdisc(const std::string& tc_show, const QdiscHandles& h) {
  const std::string head = fmt::format("qdisc htb {}: dev ", hex(h.root));
  std::istringstream in(tc_show);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(head) && line.find(" root") != std::string::npos) return true;
  return false;
}

namespace {

/// The shaping a fault of `f`'s kind asks for: its direction and toxicity,
/// and whether it needs sch_netem; nullopt for a kind without a host version.
struct Shaping {
  NetDirection direction;
  double toxicity;
  bool netem;
};
std::optional<Shaping> shaping(const FaultSpec& f) {
  if (const auto* p = f.params.get_if<LatencyParams>()) return Shaping{p->direction, p->toxicity, true};
  if (const auto* p = f.params.get_if<BandwidthParams>()) return Shaping{p->direction, p->toxicity, false};
  return std::nullopt;
}

/// The hosts that run the scenario's services, with their addresses.
std::map<std::string, std::string> service_host_addresses(const Scenario& s) {
  std::map<std::string, std::string> out;
  for (const auto& svc : s.services)
    if (const HostSpec* h = service_host(s, svc)) out[h->name] = h->address;
  return out;
}

/// The host of the fault's target service; nullptr when it runs here.
const HostSpec* target_host(const Scenario& s, const FaultSpec& f) {
  if (s.hosts.empty()) return nullptr;
  for (const auto& svc : s.services)
    if (svc.name == f.target) return service_host(s, svc);
  return nullptr;
}

/// Every host a delay or limit across hosts of `s` acts on, with its faults
/// (name -> (fault names, whether one needs netem)).
std::map<std::string, std::pair<std::vector<std::string>, bool>> qdisc_hosts(const Scenario& s) {
  std::map<std::string, std::pair<std::vector<std::string>, bool>> out;
  for (const FaultSpec& f : s.faults) {
    const auto sh = shaping(f);
    const HostSpec* t = target_host(s, f);
    if (!sh || !t) continue;
    for (const auto& [host, shape] : host_shapes(t->name, sh->direction, service_host_addresses(s))) {
      auto& e = out[host];
      if (std::find(e.first.begin(), e.first.end(), f.name) == e.first.end()) e.first.push_back(f.name);
      e.second = e.second || sh->netem;
    }
  }
  return out;
}

}  // namespace

bool qdisc_on_hosts(const Scenario& s, const FaultSpec& f) { return shaping(f) && target_host(s, f); }

std::string host_fault_text(const Scenario& s, const FaultSpec& f) {
  return qdisc_on_hosts(s, f) ? on_service(describe_fault(f)) : describe_fault(f);
}

void check_host_qdisc(FaultCheck& c, NetDirection direction, double toxicity) {
  const Scenario& s = c.scenario();
  const FaultSpec& f = c.fault();
  const HostSpec* t = target_host(s, f);
  if (!t) return;
  if (toxicity != 1.0)
    c.error(c.at("toxicity"),
            "'toxicity' does not apply across [[host]]s: the host's kernel shapes all the traffic between the hosts, "
            "not chosen connections",
            "remove it");
  const auto shapes = host_shapes(t->name, direction, service_host_addresses(s));
  if (shapes.empty()) {
    c.error(c.at("target"),
            fmt::format("{} acts on service '{}' on host '{}', but no other [[host]] runs a service: there is no "
                        "traffic between hosts to shape",
                        c.label(), f.target, t->name),
            "the controller's own traffic is never shaped; give a peer service a host of its own");
    return;
  }
  for (std::size_t i = 0; i < s.hosts.size(); ++i) {
    const HostSpec& h = s.hosts[i];
    if (!shapes.count(h.name) || is_ip_address(h.address)) continue;
    c.error(c.where(fmt::format("host[{}].address", i), h.pos),
            fmt::format("{} shapes traffic on host '{}', whose address '{}' is a name: its tc filters need an IP "
                        "address",
                        c.label(), h.name, h.address),
            "write the host's IP address (the one the other hosts reach it at)");
  }
}

std::vector<std::string> host_qdisc_plan(const Scenario& s) {
  std::vector<std::string> out;
  for (const FaultSpec& f : s.faults) {
    const auto sh = shaping(f);
    const HostSpec* t = target_host(s, f);
    if (!sh || !t) continue;
    const std::string leaf = sh->netem ? "netem" : "tbf";
    for (const auto& [host, shape] : host_shapes(t->name, sh->direction, service_host_addresses(s))) {
      out.push_back(fmt::format(
          "on '{}': fault '{}': leave a guardian holding the deletion of the run's root htb, then on the device "
          "toward each of {} (`ip route get`) make that htb with a {} class ({}) and u32 filters for those "
          "addresses only, read `tc qdisc show` back",
          host, f.name, join_comma(shape.to), leaf, on_service(describe_fault(f))));
      out.push_back(fmt::format("on '{}': revert fault '{}': the guardian deletes the run's root htb (with its {}); "
                                "read `tc qdisc show` back",
                                host, f.name, leaf));
    }
  }
  return out;
}

asio::awaitable<std::string> missing_qdisc_tools(asio::any_io_executor ex, const Scenario& s,
                                                 std::function<const RemoteShell*(const std::string&)> shell) {
  std::string out;
  for (const auto& [host, faults] : qdisc_hosts(s)) {
    const RemoteShell* sh = shell(host);
    const HostSpec* h = find_host(s, host);
    if (!sh || !h) continue;
    SpawnOptions opts;
    opts.argv = sh->argv(doctor_script(false));
    const CommandResult r = co_await run_command(ex, std::move(opts), kRemoteStepTimeout);
    const auto at = fmt::format("host '{}' ({}:{}:{})", host, h->pos.file.empty() ? s.file : h->pos.file,
                                h->pos.line, h->pos.column);
    if (!r.status.success()) {
      out += fmt::format("{}: cannot ask for tc and sch_netem: {}\n", at, first_line(r));
      continue;
    }
    for (const HostFinding& finding : parse_doctor(*h, r.out)) {
      const bool needed = finding.what == "tc" || (finding.what == "netem" && faults.second);
      if (needed && !finding.ok)
        out += fmt::format("{}: {}: {} ({} {} on this host)\n", at, finding.what, finding.detail,
                           faults.first.size() == 1 ? "fault" : "faults", quoted_list(faults.first));
    }
  }
  co_return out;
}

namespace {

/// One host of the delay or limit and what the run did there.
struct Side {
  std::string host;
  const RemoteShell* shell = nullptr;
  bool sudo = false;
  HostShape shape;
  std::unique_ptr<Guardian> guardian;
  bool touched = false;  ///< a guardian was being left: revert must look here
};

class HostQdisc final : public Injector {
 public:
  HostQdisc(const FaultSpec& spec, NetDirection direction, QdiscLeaf leaf, std::string description)
      : spec_(spec), direction_(direction), leaf_(std::move(leaf)), description_(std::move(description)) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    if (!ctx.remote || !ctx.links) throw FaultError("the run has no [[host]] connections");
    const auto target = remote_service(ctx, spec_.target);
    if (!target) throw FaultError(fmt::format("service '{}' runs on this machine, not on a [[host]]", spec_.target));
    std::map<std::string, std::string> addresses;
    std::map<std::string, std::pair<const RemoteShell*, bool>> shells;
    for (const auto& name : ctx.links->services()) {
      const auto svc = remote_service(ctx, name);
      if (!svc) continue;
      if (!is_ip_address(svc->address))
        throw FaultError(fmt::format("host '{}' is named by '{}', not an IP address", svc->shell->host(), svc->address));
      addresses[svc->shell->host()] = svc->address;
      shells[svc->shell->host()] = {svc->shell, svc->sudo};
    }
    sides_.clear();
    for (auto& [host, shape] : host_shapes(target->shell->host(), direction_, addresses)) {
      Side side;
      side.host = host;
      side.shell = shells.at(host).first;
      side.sudo = shells.at(host).second;
      side.shape = std::move(shape);
      sides_.push_back(std::move(side));
    }
    if (sides_.empty()) throw FaultError(fmt::format("no other host than '{}' runs a service", target->shell->host()));
    handles_ = qdisc_handles(ctx.remote->run_id, ctx.event);
    co_return;
  }

  asio::awaitable<void> inject(InjectorContext& ctx) override {
    std::vector<RemoteStep> guard;
    for (auto& side : sides_) guard.push_back(asio::co_spawn(ctx.ex, leave(ctx, side), asio::deferred));
    if (auto failed = co_await all_steps(std::move(guard)); !failed.empty()) throw FaultError(failed);
    std::vector<RemoteStep> apply;
    for (auto& side : sides_) apply.push_back(asio::co_spawn(ctx.ex, apply_on(ctx, side), asio::deferred));
    if (auto failed = co_await all_steps(std::move(apply)); !failed.empty()) throw FaultError(failed);
  }

  asio::awaitable<void> revert(InjectorContext& ctx) override {
    std::vector<RemoteStep> steps;
    for (auto& side : sides_)
      if (side.touched) steps.push_back(asio::co_spawn(ctx.ex, revert_on(ctx, side), asio::deferred));
    if (auto failed = co_await all_steps(std::move(steps)); !failed.empty()) throw FaultError(failed);
  }

  bool reversible() const override { return true; }

  Undo undo_plan(InjectorContext&) const override {
    std::vector<std::pair<const RemoteShell*, std::string>> scripts;
    for (const auto& side : sides_) scripts.emplace_back(side.shell, host_qdisc_revert_script(handles_, side.sudo));
    return remote_undo_all(scripts);
  }

  std::string describe() const override {
    std::string d = on_service(description_);
    for (const auto& s : sides_)
      d += fmt::format("; on host '{}' htb {:x}: with {} {:x}: toward {}", s.host, handles_.root, leaf_.kind,
                       handles_.leaf, join_comma(s.shape.to));
    return d;
  }

 private:
  asio::awaitable<void> leave(InjectorContext& ctx, Side& side) {
    side.touched = true;
    const Nanos lease = ctx.remote ? ctx.remote->lease : kDefaultLease;
    side.guardian = co_await leave_guardian(ctx, *side.shell, host_qdisc_revert_script(handles_, side.sudo),
                                            guardian_cap(spec_.duration, lease));
  }

  asio::awaitable<void> apply_on(InjectorContext& ctx, Side& side) {
    co_await run_remote(ctx, *side.shell, host_qdisc_apply_script(handles_, side.shape.to, leaf_, side.sudo),
                        fmt::format("making the run's {} toward {}", leaf_.kind, join_comma(side.shape.to)));
  }

  asio::awaitable<void> revert_on(InjectorContext& ctx, Side& side) {
    bool done = false;
    if (side.guardian) {
      const GuardianEnd end = co_await side.guardian->revert(kRemoteStepTimeout);
      side.guardian.reset();
      done = end.reverted();
    }
    if (!done)
      co_await run_remote(ctx, *side.shell, host_qdisc_revert_script(handles_, side.sudo),
                          fmt::format("deleting the run's htb {:x}:", handles_.root));
    const std::string list =
        co_await run_remote(ctx, *side.shell, host_qdisc_list_script(side.sudo), "reading back the qdiscs");
    if (lists_run_qdisc(list, handles_))
      throw FaultError(fmt::format("htb {:x}: is still on host '{}'", handles_.root, side.host));
    side.touched = false;
  }

  FaultSpec spec_;
  NetDirection direction_;
  QdiscLeaf leaf_;
  std::string description_;
  std::vector<Side> sides_;
  QdiscHandles handles_;
};

/// The link version, or the host version when the target runs on a [[host]].
class HostOrLocal final : public Injector {
 public:
  HostOrLocal(std::string target, std::unique_ptr<Injector> local, std::unique_ptr<Injector> hosts)
      : target_(std::move(target)), local_(std::move(local)), hosts_(std::move(hosts)) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    on_hosts_ = remote_service(ctx, target_).has_value();
    co_await active().prepare(ctx);
  }
  asio::awaitable<void> inject(InjectorContext& ctx) override { co_await active().inject(ctx); }
  asio::awaitable<void> revert(InjectorContext& ctx) override { co_await active().revert(ctx); }
  bool reversible() const override { return true; }
  Undo undo_plan(InjectorContext& ctx) const override { return active().undo_plan(ctx); }
  std::string describe() const override { return active().describe(); }

 private:
  Injector& active() const { return on_hosts_ ? *hosts_ : *local_; }

  std::string target_;
  std::unique_ptr<Injector> local_;
  std::unique_ptr<Injector> hosts_;
  bool on_hosts_ = false;
};

}  // namespace

std::unique_ptr<Injector> with_host_version(const FaultSpec& spec, std::unique_ptr<Injector> local,
                                            NetDirection direction, QdiscLeaf leaf, std::string description) {
  return std::make_unique<HostOrLocal>(
      spec.target, std::move(local), std::make_unique<HostQdisc>(spec, direction, std::move(leaf), std::move(description)));
}

}  // namespace faultline
