// What the resource kinds (resource.cpu, resource.memory, resource.io,
// stress) share: the cgroup controllers a fault needs for its service (the
// run makes that service's cgroup before the clone starts:
// src/run/run_cgroups.cpp), the validation that refuses a fault this host
// cannot apply, and the injector's way to its service's cgroup.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fault_injectors/injector.hpp"
#include "os/resource_cgroup.hpp"

namespace faultline {

/// The services a fault may act on: its target, or every candidate of a
/// dynamic target.
std::vector<std::string> fault_services(const FaultSpec& f);

/// Refuses, at the key `key` of the fault, a fault needing `c` on a host
/// that cannot give its service a cgroup with it (not root, no controller),
/// and a target that faultline does not start here (attached, on a
/// [[host]]). The host's layout is probed once per process.
void check_cgroup_fault(FaultCheck& c, CgroupController controller, std::string_view key);

/// This host's layout (probed once per process, the run's cgroup unknown).
const CgroupLayout& host_cgroup_layout();

/// The controls of `service`'s run-owned cgroup; throws FaultError when
/// the service has none (it was not started in one).
std::unique_ptr<CgroupControls> service_cgroup(InjectorContext& ctx, const std::string& service);

}  // namespace faultline
