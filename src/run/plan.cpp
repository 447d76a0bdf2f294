#include "run/plan.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "fault_injectors/host_partition.hpp"
#include "fault_injectors/host_qdisc.hpp"
#include "fault_injectors/remote_fault_plan.hpp"
#include "os/netns.hpp"
#include "run/runbook.hpp"
#include "run/strategy_plan.hpp"
#include "scenario/command_text.hpp"
#include "scenario/dynamic_target.hpp"
#include "scenario/fault_kind.hpp"
#include "scenario/partition_effect.hpp"
#include "scenario/schedule.hpp"
#include "scenario/signals.hpp"
#include "scenario/topology.hpp"
#include "scenario/validate.hpp"
#include "system/remote_service.hpp"

namespace faultline {

namespace {

const char* restart_name(RestartPolicy p) {
  switch (p) {
    case RestartPolicy::never: return "never";
    case RestartPolicy::on_failure: return "on-failure";
    case RestartPolicy::always: return "always";
  }
  return "?";
}

std::string probe_line(const ProbeSpec& p) {
  std::string what;
  switch (p.kind) {
    case ProbeKind::tcp: what = fmt::format("tcp connect {}:{}", p.host, p.port); break;
    case ProbeKind::http:
      what = fmt::format("http {} http://{}:{}{}", p.method, p.host, p.port, p.path);
      break;
    case ProbeKind::exec: what = fmt::format("exec `{}`", short_command_text(p.command)); break;
  }
  return fmt::format("{} every {}, timeout {}", what, format_duration(p.interval),
                     format_duration(p.effective_timeout()));
}

/// network = "links": for each partition, the links it cuts and the pairs
/// of services that lose each other, those its groups do not separate marked.
std::string partitions_block(const Scenario& s) {
  if (s.network != NetworkMode::links || !s.hosts.empty()) return {};
  std::string out;
  for (const auto& f : s.faults) {
    const auto* p = f.params.get_if<PartitionParams>();  // only a partition has these
    if (!p) continue;
    if (out.empty()) out = "partitions (through the links; a cut link is cut for every client of it):\n";
    if (f.select) {
      out += fmt::format("  '{}': its groups are chosen at injection\n", f.name);
      continue;
    }
    const PartitionEffect e = partition_effect(s, *p);
    std::string links;
    for (const auto& c : e.links)
      links += fmt::format("{}{} ({})", links.empty() ? "" : ", ", c.link,
                           c.upstream && c.downstream ? "both ways" : c.upstream ? "to its server" : "from its server");
    out += fmt::format("  '{}' cuts link(s) {}\n", f.name, links.empty() ? std::string("none") : links);
    std::string lost;
    for (const auto& t : pair_texts(e.lost)) lost += (lost.empty() ? "" : ", ") + t;
    out += fmt::format("    services that lose each other: {}\n", lost.empty() ? std::string("none") : lost);
    if (!e.collateral.empty()) {
      std::string extra;
      for (const auto& t : pair_texts(e.collateral)) extra += (extra.empty() ? "" : ", ") + t;
      out += fmt::format("    of which its groups do not separate: {} (a shared link; see `faultline validate`)\n", extra);
    }
  }
  return out;
}

std::string links_block(const Scenario& s) {
  if (s.links.empty()) return {};
  std::string out = "links (faultline's TCP proxies, listening before any service starts):\n";
  for (const auto& l : s.links) {
    std::string clients;
    for (const auto& c : l.from) clients += (clients.empty() ? "" : ", ") + c;
    const std::string server = link_server(s, l);
    out += fmt::format("  {}: {{link.{}}} -> {}{}, used by {}\n", l.name, l.name, l.to,
                       server.empty() ? std::string() : fmt::format(" (service '{}')", server),
                       clients.empty() ? std::string("unknown clients") : clients);
  }
  return out;
}

std::string services_block(const Scenario& s) {
  std::string out = "services (start order):\n";
  int n = 0;
  for (const ServiceSpec* svc : start_order(s)) {
    out += fmt::format("  {}. {}: {}\n", ++n, svc->name, svc->command.display());
    for (const auto& port : svc->ports)
      out += fmt::format("     port {{port.{}}}: a free loopback port, bound at run time\n", port);
    if (!svc->depends_on.empty()) {
      std::string deps;
      for (const auto& d : svc->depends_on) deps += (deps.empty() ? "" : ", ") + d;
      out += fmt::format("     after: {}\n", deps);
    }
    out += fmt::format("     ready: {}\n", svc->ready ? fmt::format("{}, within {}", probe_line(*svc->ready),
                                                                   format_duration(svc->ready_timeout))
                                                      : std::string("once started (no readiness probe)"));
    out += fmt::format("     restart: {} (backoff {} doubling to {}); stop: {}, grace {}\n",
                       restart_name(svc->restart), format_duration(svc->backoff), format_duration(svc->backoff_max),
                       signal_name(svc->stop_signal), format_duration(svc->stop_grace));
  }
  if (n == 0) out += "  (none: attaching to systems already running)\n";
  return out;
}

/// What a fault does; a dynamic target is named SELECTED and said how it is chosen.
std::string fault_text(const Scenario& s, const FaultSpec& f) {
  if (std::string hosts = host_partition_text(s, f); !hosts.empty() && !f.select) return hosts;
  if (!f.select) return host_fault_text(s, f);
  FaultSpec shown = f;
  place_selected(shown, "SELECTED");
  return fmt::format("{}; SELECTED = {}", describe_fault(shown), selection_text(*f.select));
}

std::string timeline_block(const Scenario& s, std::optional<std::uint64_t> seed) {
  std::string out = fmt::format("iterations: {}\n", s.iterations);
  bool windows = false;
  for (const auto& f : s.faults) windows |= f.at_max > f.at_min;
  if (windows && !seed)
    out += "  (no seed: offsets drawn from `at` windows differ per run; pass --seed to fix them)\n";
  // Every iteration in full up to kShown, so that `plan` answers at once
  // for any valid scenario, however many iterations it asks for.
  constexpr int kShown = 10;
  for (int it = 1; it <= s.iterations; ++it) {
    if (it > kShown) {
      out += fmt::format("  iterations {} to {}: the same schedule{}\n", it, s.iterations,
                         windows ? ", each offset drawn anew from its window" : "");
      break;
    }
    out += fmt::format("  iteration {}: steady state for {}, then from the iteration start:\n", it,
                       format_duration(s.steady_for));
    // Injections and reverts in the order of their time (a revert after an
    // injection at the same time; declaration order among equals).
    std::vector<std::pair<Nanos, std::string>> events;
    for (const auto& p : schedule_iteration(s, seed.value_or(0), it)) {
      const FaultSpec& f = s.faults[p.fault];
      const bool drawn = windows && !seed && f.at_max > f.at_min;
      std::string when = drawn ? fmt::format("T+[{}..{}]", format_duration(f.at_min), format_duration(f.at_max))
                               : fmt::format("T+{}", format_duration(p.offset));
      std::string rep = f.repeat > 1 ? fmt::format(" ({}/{})", p.repetition, f.repeat) : "";
      events.emplace_back(p.offset, fmt::format("    {:<14} {} '{}'{}: {}\n", when, f.kind, f.name, rep, fault_text(s, f)));
      if (p.hold)
        events.emplace_back(p.offset + *p.hold,
                            fmt::format("    {:<14} revert '{}'{} (held {})\n",
                                        drawn ? when + "+" + format_duration(*p.hold)
                                              : fmt::format("T+{}", format_duration(p.offset + *p.hold)),
                                        f.name, rep, format_duration(*p.hold)));
    }
    std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& e : events) out += e.second;
    out += fmt::format("    then observe until recovered and {} without relapse (give up after {}), verify, "
                       "cool down {}\n",
                       format_duration(s.watch), format_duration(s.give_up_after), format_duration(s.cool_down));
  }
  return out;
}

/// network = "namespaces": each host with its address (from the planned
/// network of a stand-in run id: the tag is the run's, the addresses are final).
std::string network_block(const Scenario& s) {
  if (s.network != NetworkMode::namespaces) return {};
  const NetworkPlan plan = plan_network(s, "TAG");
  std::string out = fmt::format("network: namespaces, subnet {}; hub fl-RUNTAG at {} (probes and steps run there "
                                "unless 'from' says otherwise; no partition cuts it)\n",
                                plan.subnet.text(), plan.hub_address);
  for (const auto& h : plan.hosts) {
    std::string svcs;
    for (const auto& n : h.services) svcs += (svcs.empty() ? "" : ", ") + n;
    out += fmt::format("  host {}: {} ({}), namespace fl-RUNTAG-{}\n", h.name, h.address, svcs, h.name);
  }
  for (const auto& f : s.faults) {
    const auto* p = f.params.get_if<PartitionParams>();  // only a partition has these
    if (!p) continue;
    if (f.select) {  // its groups are known at injection only
      out += fmt::format("  '{}' {} (an nft table in the hub): cuts chosen at injection\n", f.name,
                         p->mode == PartitionMode::drop ? "drops" : "rejects");
      continue;
    }
    std::string cuts;
    for (const auto& c : partition_address_cuts(*p, plan)) cuts += fmt::format("{}{} -> {}", cuts.empty() ? "" : ", ", c.from, c.to);
    out += fmt::format("  '{}' {} (an nft table in the hub): {}\n", f.name,
                       p->mode == PartitionMode::drop ? "drops" : "rejects", cuts);
  }
  return out;
}

}  // namespace

std::string thresholds_block(const Thresholds& t, const std::string& title) {
  std::string out = title + "\n";
  if (t.rto) out += fmt::format("  rto {} (recovery time, every iteration)\n", format_duration(*t.rto));
  if (t.ttd) out += fmt::format("  ttd {} (time to detect, every iteration)\n", format_duration(*t.ttd));
  if (t.mttr) out += fmt::format("  mttr {} (mean time to restore over all episodes)\n", format_duration(*t.mttr));
  if (t.max_recurrence) out += fmt::format("  max_recurrence {} relapse(s)\n", *t.max_recurrence);
  if (t.min_availability) out += fmt::format("  min_availability {:.2f} %\n", *t.min_availability);
  if (t.max_data_loss) out += fmt::format("  max_data_loss {} acknowledged write(s), every iteration\n", *t.max_data_loss);
  if (t.max_data_loss_window)
    out += fmt::format("  max_data_loss {} (span of the lost writes), every iteration\n", format_duration(*t.max_data_loss_window));
  if (out == title + "\n") out += "  (none: the run reports figures but judges nothing)\n";
  return out;
}

std::string render_plan(const Scenario& s, std::optional<std::uint64_t> seed) {
  std::string out = fmt::format("plan for '{}' ({}){}\n", s.name, s.file,
                                seed ? fmt::format(", seed {}", *seed) : std::string());
  if (!s.description.empty()) out += "  " + s.description + "\n";
  out += services_block(s);
  out += links_block(s);
  out += partitions_block(s);
  out += network_block(s);
  if (const auto remote = remote_plan(s); !remote.empty()) {
    out += "remote actions (every one, in order; no other host is touched):\n";
    for (const auto& line : remote) out += "  " + line + "\n";
  }
  auto faults = host_partition_plan(s);
  for (auto& line : remote_fault_plan(s)) faults.push_back(std::move(line));
  for (auto& line : host_qdisc_plan(s)) faults.push_back(std::move(line));
  if (!faults.empty()) {
    out += fmt::format("remote fault actions (each application; the controller's own traffic is never cut or shaped; "
                       "every guardian's lease {}, renewed every {}: a lost controller's faults end within it):\n",
                       format_duration(s.guardian_lease), format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(s.guardian_lease / 3)));
    for (const auto& line : faults) out += "  " + line + "\n";
  }
  out += "probes:\n";
  for (const auto& p : s.probes)
    out += fmt::format("  {}: {}{}\n", p.name, probe_line(p), p.steady_state ? "" : " (observed only)");
  if (s.probes.empty()) out += "  (none)\n";
  if (!s.guards.empty() || s.max_duration) {
    out += "stop conditions:\n";
    for (const auto& g : s.guards) out += fmt::format("  guard {}: {} (its first failure aborts the run)\n", g.name, probe_line(g));
    if (s.max_duration) out += fmt::format("  the whole run is aborted after {}\n", format_duration(*s.max_duration));
  }
  out += fmt::format(
      "measurement: steady for {} (within {}), recovered after {} ok sample(s){}, watch {}, give up after {}\n",
      format_duration(s.steady_for), format_duration(s.steady_timeout), s.recovered_after.samples,
      s.recovered_after.duration.count() ? " over " + format_duration(s.recovered_after.duration) : "",
      format_duration(s.watch), format_duration(s.give_up_after));
  out += timeline_block(s, seed);
  if (!s.setup.empty() || !s.verify.empty()) {
    out += "steps:\n";
    for (const auto& st : s.setup) out += fmt::format("  setup '{}': `{}`\n", st.name, short_command_text(st.command));
    for (const auto& st : s.verify) out += fmt::format("  verify '{}': `{}`\n", st.name, short_command_text(st.command));
  }
  if (!s.recovery.empty()) {
    out += "runbook (in order, every iteration; a failed step stops it):\n";
    for (const auto& st : s.recovery)
      out += fmt::format("  '{}' on {}, timeout {}: `{}`\n", st.name, trigger_text(st), format_duration(st.timeout),
                         short_command_text(st.command));
  }
  for (const auto& w : s.workloads)
    out += fmt::format("workload '{}': {} writes/s through every iteration, {}; then read `{}`\n", w.name, w.rate,
                       w.kind == WorkloadKind::tcp ? fmt::format("tcp {}:{} expecting '{}'", w.host, w.port, w.expect)
                                                   : fmt::format("exec `{}`", w.write.display()),
                       w.read.display());
  out += thresholds_block(s.thresholds);
  out += strategies_block(s, seed);
  return out;
}

}  // namespace faultline
