// The resource kinds' shared pieces (see resource_fault.hpp).
#include "fault_injectors/resource_fault.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "system/clone.hpp"

namespace faultline {

std::vector<std::string> fault_services(const FaultSpec& f) {
  std::vector<std::string> out;
  if (f.select) {
    for (const auto& c : f.select->among)
      if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  } else if (!f.target.empty()) {
    out.push_back(f.target);
  }
  return out;
}

const CgroupLayout& host_cgroup_layout() {
  static const CgroupLayout layout = probe_cgroup_layout();
  return layout;
}

void check_cgroup_fault(FaultCheck& c, CgroupController controller, std::string_view key) {
  const FaultSpec& f = c.fault();
  if (const std::string why = cgroup_refusal(host_cgroup_layout(), controller); !why.empty())
    c.error(c.at(key), fmt::format("{}: {} cannot be applied on this host: {}", c.label(), f.kind, why),
            "run faultline as root on a host with the controller (`faultline doctor` lists the cgroup controllers "
            "it found, v1 or v2)");
  for (const auto& name : fault_services(f))
    for (const auto& s : c.scenario().services) {
      if (s.name != name) continue;
      if (s.attach.attached() || service_host(c.scenario(), s))
        c.error(c.at("target"),
                fmt::format("{}: service '{}' {}: {} acts only on services faultline starts on this machine (in a "
                            "cgroup the run makes before it starts)",
                            c.label(), name, s.attach.attached() ? "is attached" : "runs on host '" + s.host + "'",
                            f.kind));
    }
}

std::unique_ptr<CgroupControls> service_cgroup(InjectorContext& ctx, const std::string& service) {
  const auto dirs = ctx.clone.cgroup(service);
  if (dirs.empty())
    throw FaultError(fmt::format("service '{}' was not started in a run-owned cgroup", service));
  return cgroup_controls(dirs);
}

}  // namespace faultline
