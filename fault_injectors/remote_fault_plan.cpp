// The plan lines of remote process faults and exec on a host
// (remote_fault_plan.hpp). Pure text from the scenario: nothing connects.
#include "fault_injectors/remote_fault_plan.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "fault_injectors/exec_fault.hpp"
#include "fault_injectors/host_partition.hpp"
#include "fault_injectors/process_kill.hpp"
#include "fault_injectors/process_pause.hpp"
#include "fault_injectors/process_restart.hpp"
#include "scenario/check_context.hpp"
#include "scenario/signals.hpp"
#include "system/attach.hpp"

namespace faultline {

namespace {

const char* whom(bool group) { return group ? "its process group" : "its process"; }

/// The lines of one process fault on service `svc` of host `h`.
void process_lines(const FaultSpec& f, const ServiceSpec& svc, const HostSpec& h, std::vector<std::string>& out) {
  const std::string on = fmt::format("on '{}': fault '{}': ", h.name, f.name);
  const std::string find = fmt::format("find service '{}' (pid and /proc start time)", svc.name);
  if (const auto* k = f.params.get_if<KillParams>()) {
    out.push_back(on + fmt::format("{}, then {} to {}, checking that start time first (one script)", find,
                                   signal_name(k->signal), whom(k->group)));
  } else if (const auto* p = f.params.get_if<PauseParams>()) {
    out.push_back(on + fmt::format("{}, leave a guardian holding SIGCONT, then SIGSTOP to {} (start time checked), "
                                   "read back stopped",
                                   find, whom(p->group)));
    out.push_back(fmt::format("on '{}': revert fault '{}': the guardian sends SIGCONT; read back running", h.name, f.name));
  } else if (f.params.holds<RestartParams>()) {
    if (svc.attach.attached())
      out.push_back(on + fmt::format("{}, then, while it is still that process, restart it through its supervisor "
                                     "(systemctl restart {}), find its new process, await its readiness",
                                     find, svc.attach.value));
    else
      out.push_back(on + fmt::format("stop service '{}' ({} to its group, SIGKILL after {}; its start time checked "
                                     "before each signal), start it again, await its readiness",
                                     svc.name, signal_name(svc.stop_signal), format_duration(svc.stop_grace)));
  }
}

/// The lines of an exec fault with `host`.
void exec_lines(const FaultSpec& f, const ExecParams& e, std::vector<std::string>& out) {
  const std::string on = fmt::format("on '{}': fault '{}': ", e.host, f.name);
  if (!e.revert) {
    out.push_back(on + fmt::format("run `{}` (timeout {}; no revert, no guardian)", e.apply.display(),
                                   format_duration(e.timeout)));
    return;
  }
  out.push_back(on + fmt::format("leave a guardian holding `{}`, then run `{}` (timeout {})", e.revert->display(),
                                 e.apply.display(), format_duration(e.timeout)));
  out.push_back(fmt::format("on '{}': revert fault '{}': the guardian runs `{}`", e.host, f.name, e.revert->display()));
}

}  // namespace

std::string host_partition_text(const Scenario& s, const FaultSpec& f) {
  const auto* p = f.params.get_if<PartitionParams>();  // only a partition has these
  if (!p || !partition_on_hosts(s, *p)) return {};
  std::vector<std::string> hosts;
  for (const auto& [host, faults] : partition_hosts(s))
    if (std::find(faults.begin(), faults.end(), f.name) != faults.end()) hosts.push_back(host);
  std::string how;
  if (!p->isolate.empty()) {
    how = fmt::format("isolate '{}'", p->isolate);
  } else if (p->shape) {
    how = *p->shape == PartitionShape::ring ? "majorities ring" : "halves";
  } else {
    for (const auto& g : p->groups) how += fmt::format("{}[{}]", how.empty() ? "" : " | ", join_comma(g));
  }
  const bool drop = p->mode == PartitionMode::drop;
  return fmt::format("partition {} across hosts: on {} an nftables table {} packets between the separated hosts' "
                     "addresses ({}), {}; the controller's own traffic is not cut",
                     how, join_and(hosts), drop ? "dropping" : "rejecting",
                     drop ? "their connections hang until the heal" : "connections reset, new ones refused",
                     p->one_way ? "only from the first group to the others" : "both directions");
}

std::vector<std::string> remote_fault_plan(const Scenario& s) {
  std::vector<std::string> out;
  if (s.hosts.empty()) return out;
  for (const FaultSpec& f : s.faults) {
    if (const auto* e = f.params.get_if<ExecParams>()) {
      if (!e->host.empty()) exec_lines(f, *e, out);
      continue;
    }
    std::vector<std::string> names{f.target};
    if (f.select) names = f.select->among;
    for (const auto& name : names)
      for (const auto& svc : s.services)
        if (svc.name == name)
          if (const HostSpec* h = service_host(s, svc)) process_lines(f, svc, *h, out);
  }
  return out;
}

}  // namespace faultline
