// net.partition across [[host]]s — a real split between machines (issue 14,
// docs/distributed.md). This kind's third version: proxied links
// (net_partition.cpp) and network = "namespaces" (ns_partition.cpp) are the
// other two; net_partition.cpp chooses this one when the scenario declares
// [[host]]s and the services the partition separates run on them.
//
// How it works: the partition's groups (explicit `groups`, `isolate` or a
// `shape`, as for the other versions: topology.hpp) give the pairs of
// services whose traffic is cut, and through each service's host the pairs
// of hosts. On every host involved, one nft table of the run's own, `inet
// faultline_TAG_N` (TAG from the run id, N the application's number, as in
// ns_partition), holds an output chain dropping what the host sends to the
// addresses of the hosts across the split and an input chain dropping what
// it receives from them (with direction "one", only traffic from the first
// group to the others: the sender's output and the receiver's input). Mode
// drop drops both ways; mode reject makes the receiving host answer TCP
// with a reset and other protocols with ICMP admin-prohibited (its input
// chain only: a reset made in the sender's own output chain would not reach
// the sender's socket). The rules match only the other hosts' addresses:
// the controller's own traffic (its ssh connection, its probes) never
// crosses a rule. Two separated services on one host cannot be split, and a
// host named by a DNS name has no address to match: the validation refuses
// both (exit 2).
//
// Applying, per host and on all hosts at once: first a guardian
// (os/guardian.hpp, leave_guardian) holding the table's deletion is left on
// the host, then one script (one round trip on the host's multiplexed
// connection) creates the table with a single `nft` command, an atomic
// transaction, and reads `nft list tables` back. Privileged commands go
// through `sudo -n` when the host says sudo = true and the user is not root.
//
// How it is undone: each host's guardian is told to revert: it deletes the
// table and reads the list back; when it cannot say it did (gone, link
// cut), the same script runs directly. Then `nft list tables` is read back
// on every host by the controller. If the controller dies, hangs or is cut
// off, every host deletes its table by itself within the guardian's lease
// (at once when the controller's end of its stdin closes, at the latest
// duration + one lease). The crash ledger holds one command that runs the
// deletion script on every host at once through ssh (remote_undo per host),
// for the watchdog and `faultline cleanup`. Tables the run did not create
// are never touched: the script deletes only its own table name.
#include "fault_injectors/host_partition.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fault_injectors/proxy/link_set.hpp"
#include "fault_injectors/remote_fault.hpp"
#include "fault_injectors/remote_steps.hpp"
#include "os/netns.hpp"
#include "os/spawn.hpp"
#include "os/subprocess.hpp"
#include "scenario/network_plan.hpp"
#include "scenario/topology.hpp"

namespace faultline {

namespace {

void add_once(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

/// "ip" or "ip6" for an address literal.
std::string family(const std::string& address) {
  return address.find(':') == std::string::npos ? "ip" : "ip6";
}

/// Tools in /usr/sbin are outside a user's PATH on Debian; with sudo = true,
/// $S is "sudo -n" unless the user is root.
std::string prelude(bool sudo) {
  std::string s = "PATH=$PATH:/usr/sbin:/sbin; export PATH\nS=\n";
  if (sudo) s += "[ \"$(id -u)\" = 0 ] || S='sudo -n'\n";
  return s;
}

std::string listed(const std::string& table) {
  return fmt::format("printf '%s\\n' \"$l\" | grep -qx {}", shell_quote("table inet " + table));
}

}  // namespace

std::map<std::string, HostCut> host_cuts(const std::set<std::pair<std::string, std::string>>& pairs,
                                         const std::map<std::string, ServiceHost>& where) {
  std::map<std::string, HostCut> out;
  for (const auto& [from, to] : pairs) {
    const auto a = where.find(from);
    const auto b = where.find(to);
    if (a == where.end() || b == where.end()) continue;
    const ServiceHost& sa = a->second;
    const ServiceHost& sb = b->second;
    if (sa.host.empty() || sb.host.empty() || sa.host == sb.host) continue;
    HostCut& ca = out[sa.host];
    ca.address = sa.address;
    add_once(ca.to, sb.address);
    HostCut& cb = out[sb.host];
    cb.address = sb.address;
    add_once(cb.from, sa.address);
  }
  return out;
}

std::string host_partition_ruleset(const std::string& table, const HostCut& cut, PartitionMode mode) {
  std::string out = fmt::format(
      "add table inet {0}\n"
      "add chain inet {0} input {{ type filter hook input priority 0; policy accept; }}\n"
      "add chain inet {0} output {{ type filter hook output priority 0; policy accept; }}\n",
      table);
  auto rule = [&](const char* chain, const std::string& match) {
    if (mode == PartitionMode::drop) {
      out += fmt::format("add rule inet {} {} {} drop\n", table, chain, match);
    } else {
      out += fmt::format("add rule inet {} {} {} meta l4proto tcp reject with tcp reset\n", table, chain, match);
      out += fmt::format("add rule inet {} {} {} reject with icmpx admin-prohibited\n", table, chain, match);
    }
  };
  // Reject answers from the receiving host, as a firewall there would: a
  // locally made reset in the sender's output chain does not reach its own
  // socket (the connection would hang as with drop), so with reject the
  // sender's output is left alone and the receiver's input rejects.
  if (mode == PartitionMode::drop)
    for (const auto& a : cut.to) rule("output", fmt::format("{} daddr {}", family(a), a));
  for (const auto& a : cut.from) {
    // Both sides reject each other: the other side's answers (a reset, an
    // unreachable) must still get through, or both would only time out.
    if (mode == PartitionMode::reject) {
      const std::string from = fmt::format("{} saddr {}", family(a), a);
      out += fmt::format("add rule inet {} input {} tcp flags & rst == rst accept\n", table, from);
      out += fmt::format("add rule inet {} input {} {} type destination-unreachable accept\n", table, from,
                         family(a) == "ip" ? "icmp" : "icmpv6");
    }
    rule("input", fmt::format("{} saddr {}", family(a), a));
  }
  return out;
}

std::string host_apply_script(const std::string& table, const std::string& ruleset, bool sudo) {
  return prelude(sudo) + fmt::format(
      "$S nft {rules} || exit 3\n"
      "l=$($S nft list tables) || exit 3\n"
      "{listed} || {{ echo 'table inet {t} is not listed after it was created' >&2; exit 3; }}\n"
      "echo applied\n",
      fmt::arg("rules", shell_quote(ruleset)), fmt::arg("listed", listed(table)), fmt::arg("t", table));
}

std::string host_revert_script(const std::string& table, bool sudo) {
  return prelude(sudo) + fmt::format(
      "command -v nft >/dev/null 2>&1 || exit 0\n"
      "l=$($S nft list tables) || {{ echo 'nft list tables failed' >&2; exit 3; }}\n"
      "{listed} || exit 0\n"
      "$S nft delete table inet {t}\n"
      "l=$($S nft list tables) || exit 3\n"
      "{listed} && {{ echo 'table inet {t} is still there' >&2; exit 3; }}\n"
      "exit 0\n",
      fmt::arg("listed", listed(table)), fmt::arg("t", table));
}

std::string host_list_script(bool sudo) { return prelude(sudo) + "$S nft list tables\n"; }

bool is_ip_address(const std::string& address) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, address.c_str(), buf) == 1 || ::inet_pton(AF_INET6, address.c_str(), buf) == 1;
}

namespace {

/// Where every service of `s` runs.
std::map<std::string, ServiceHost> service_hosts(const Scenario& s) {
  std::map<std::string, ServiceHost> out;
  for (const auto& svc : s.services) {
    const HostSpec* h = service_host(s, svc);
    out[svc.name] = h ? ServiceHost{h->name, h->address} : ServiceHost{};
  }
  return out;
}

}  // namespace

bool partition_on_hosts(const Scenario& s, const PartitionParams& p) {
  if (s.hosts.empty()) return false;
  const auto where = service_hosts(s);
  for (const auto& [a, b] : partition_cut_pairs(p, service_names(s)))
    if (!where.at(a).host.empty() || !where.at(b).host.empty()) return true;
  return false;
}

void check_host_partition(FaultCheck& c, const PartitionParams& p) {
  const Scenario& s = c.scenario();
  const FaultSpec& f = c.fault();
  const auto where = service_hosts(s);
  std::set<std::string> involved;
  std::set<std::pair<std::string, std::string>> reported;
  for (const auto& [a, b] : partition_cut_pairs(p, service_names(s))) {
    const ServiceHost& ha = where.at(a);
    const ServiceHost& hb = where.at(b);
    const auto key = std::minmax(a, b);
    if (!reported.insert(key).second) continue;
    if (ha.host.empty() || hb.host.empty()) {
      const std::string& here = ha.host.empty() ? a : b;
      c.error(f.pos, fmt::format("{} separates service '{}', which runs on this machine, from a service on a [[host]]",
                                 c.label(), here),
              "a partition across hosts cuts only between hosts (the controller's own traffic is never cut): give '" +
                  here + "' a host, or leave it out of the groups");
    } else if (ha.host == hb.host) {
      c.error(f.pos, fmt::format("{} separates services '{}' and '{}', which share host '{}': one host cannot be split",
                                 c.label(), key.first, key.second, ha.host),
              "put them in the same group, or run them on hosts of their own");
    } else {
      involved.insert(ha.host);
      involved.insert(hb.host);
    }
  }
  for (std::size_t i = 0; i < s.hosts.size(); ++i) {
    const HostSpec& h = s.hosts[i];
    if (!involved.count(h.name) || is_ip_address(h.address)) continue;
    c.error(c.where(fmt::format("host[{}].address", i), h.pos),
            fmt::format("{} cuts host '{}', whose address '{}' is a name: its nft rules need an IP address", c.label(),
                        h.name, h.address),
            "write the host's IP address (the one the other hosts reach it at)");
  }
}

std::vector<std::string> host_partition_plan(const Scenario& s) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const FaultSpec& f = s.faults[i];
    const auto* p = f.params.get_if<PartitionParams>();  // only a partition has these
    if (!p || !partition_on_hosts(s, *p)) continue;
    const auto cuts = host_cuts(partition_cut_pairs(*p, service_names(s)), service_hosts(s));
    for (const auto& [host, cut] : cuts) {
      std::string what;
      if (!cut.to.empty()) what += "to " + join_comma(cut.to);
      if (!cut.from.empty()) what += (what.empty() ? "from " : "; from ") + join_comma(cut.from);
      out.push_back(fmt::format("on '{}': fault '{}': leave a guardian holding `nft delete table inet faultline_RUNTAG_N`, "
                                "then create that table (one `nft` transaction) {} traffic {}, read `nft list tables` back",
                                host, f.name, p->mode == PartitionMode::drop ? "dropping" : "rejecting", what));
      out.push_back(fmt::format("on '{}': revert fault '{}': the guardian deletes the table; read `nft list tables` back",
                                host, f.name));
    }
  }
  return out;
}

std::map<std::string, std::vector<std::string>> partition_hosts(const Scenario& s) {
  std::map<std::string, std::vector<std::string>> out;
  for (const FaultSpec& f : s.faults) {
    const auto* p = f.params.get_if<PartitionParams>();  // only a partition has these
    if (!p || !partition_on_hosts(s, *p)) continue;
    for (const auto& [host, cut] : host_cuts(partition_cut_pairs(*p, service_names(s)), service_hosts(s)))
      add_once(out[host], f.name);
  }
  return out;
}

asio::awaitable<std::string> missing_partition_tools(asio::any_io_executor ex, const Scenario& s,
                                                     std::function<const RemoteShell*(const std::string&)> shell) {
  std::string out;
  for (const auto& [host, faults] : partition_hosts(s)) {
    const RemoteShell* sh = shell(host);
    const HostSpec* h = find_host(s, host);
    if (!sh || !h) continue;
    SpawnOptions opts;
    opts.argv = sh->argv("PATH=$PATH:/usr/sbin:/sbin; command -v nft");
    const CommandResult r = co_await run_command(ex, std::move(opts), kRemoteStepTimeout);
    if (r.status.success()) continue;
    out += fmt::format("host '{}' ({}:{}:{}): nft not found: net.partition {} on this host is impossible\n", host,
                       h->pos.file.empty() ? s.file : h->pos.file, h->pos.line, h->pos.column, quoted_list(faults));
  }
  co_return out;
}

namespace {

/// One host of the partition and what the run did there.
struct Side {
  std::string host;
  const RemoteShell* shell = nullptr;
  bool sudo = false;
  HostCut cut;
  std::unique_ptr<Guardian> guardian;
  bool touched = false;  ///< a guardian was being left: revert must look here
  std::string error;     ///< the last step's failure on this host
};


class HostPartition final : public Injector {
 public:
  explicit HostPartition(const FaultSpec& spec) : spec_(spec), params_(spec.params.get<PartitionParams>()) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    if (!ctx.remote || !ctx.links) throw FaultError("the run has no [[host]] connections");
    std::map<std::string, ServiceHost> where;
    std::map<std::string, std::pair<const RemoteShell*, bool>> shells;
    const auto pairs = partition_cut_pairs(params_, ctx.links->services());
    for (const auto& [a, b] : pairs)
      for (const std::string* name : {&a, &b}) {
        const auto svc = remote_service(ctx, *name);
        if (!svc) throw FaultError(fmt::format("service '{}' runs on this machine, not on a [[host]]", *name));
        if (!is_ip_address(svc->address))
          throw FaultError(fmt::format("host '{}' is named by '{}', not an IP address", svc->shell->host(), svc->address));
        where[*name] = ServiceHost{svc->shell->host(), svc->address};
        shells[svc->shell->host()] = {svc->shell, svc->sudo};
      }
    for (auto& [host, cut] : host_cuts(pairs, where)) {
      Side side;
      side.host = host;
      side.shell = shells.at(host).first;
      side.sudo = shells.at(host).second;
      side.cut = std::move(cut);
      sides_.push_back(std::move(side));
    }
    if (sides_.empty()) throw FaultError("the partition separates no two hosts");
    table_ = partition_table(run_tag(ctx.remote->run_id), ctx.event);
    duration_ = spec_.duration;
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
    // One command for the ledger: every host's deletion at once, each with
    // the host's own ssh command, failing when any fails.
    std::vector<std::pair<const RemoteShell*, std::string>> scripts;
    for (const auto& side : sides_) scripts.emplace_back(side.shell, host_revert_script(table_, side.sudo));
    return remote_undo_all(scripts);
  }

  std::string describe() const override {
    std::string d = describe_fault(spec_);
    for (const auto& s : sides_) {
      d += fmt::format("; on host '{}' nft table inet {}", s.host, table_);
      if (!s.cut.to.empty()) d += " cuts to " + join_comma(s.cut.to);
      if (!s.cut.from.empty()) d += (s.cut.to.empty() ? " cuts from " : ", from ") + join_comma(s.cut.from);
    }
    return d;
  }

 private:
  asio::awaitable<void> leave(InjectorContext& ctx, Side& side) {
    side.touched = true;
    const Nanos lease = ctx.remote ? ctx.remote->lease : kDefaultLease;
    side.guardian = co_await leave_guardian(ctx, *side.shell, host_revert_script(table_, side.sudo),
                                            guardian_cap(duration_, lease));
  }

  asio::awaitable<void> apply_on(InjectorContext& ctx, Side& side) {
    const std::string rules = host_partition_ruleset(table_, side.cut, params_.mode);
    co_await run_remote(ctx, *side.shell, host_apply_script(table_, rules, side.sudo),
                        fmt::format("creating nft table inet {}", table_));
  }

  asio::awaitable<void> revert_on(InjectorContext& ctx, Side& side) {
    bool done = false;
    if (side.guardian) {
      const GuardianEnd end = co_await side.guardian->revert(kRemoteStepTimeout);
      side.guardian.reset();
      done = end.reverted();
    }
    if (!done)
      co_await run_remote(ctx, *side.shell, host_revert_script(table_, side.sudo),
                          fmt::format("deleting nft table inet {}", table_));
    const std::string list = co_await run_remote(ctx, *side.shell, host_list_script(side.sudo),
                                                 "reading back the nft tables");
    if (lists_table(list, table_))
      throw FaultError(fmt::format("table inet {} is still on host '{}'", table_, side.host));
    side.touched = false;
  }

  FaultSpec spec_;
  PartitionParams params_;
  std::optional<Nanos> duration_;
  std::vector<Side> sides_;
  std::string table_;
};

}  // namespace

std::unique_ptr<Injector> make_host_partition(const FaultSpec& spec) { return std::make_unique<HostPartition>(spec); }

}  // namespace faultline
