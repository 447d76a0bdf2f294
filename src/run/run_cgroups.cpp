#include "run/run_cgroups.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/resource_fault.hpp"
#include "os/resource_cgroup.hpp"
#include "system/clone.hpp"

namespace faultline {

namespace fs = std::filesystem;

void make_run_cgroups(const Scenario& s, const std::string& run_id, const fs::path& run_cgroup, Clone& clone,
                      Ledger& ledger, const std::function<void(const std::string&)>& log) {
  // Service -> controllers, in the order the faults name them.
  std::vector<std::pair<std::string, std::vector<CgroupController>>> wanted;
  for (const FaultSpec& f : s.faults) {
    const InjectorKind* kind = nullptr;
    for (const InjectorKind* k : injector_kinds())
      if (k->kind.spec.name == f.kind) kind = k;
    if (!kind || !kind->cgroup) continue;
    std::vector<std::string> owners = fault_services(f);
    if (kind->cgroup_owner)
      if (std::string own = kind->cgroup_owner(f); !own.empty()) owners = {own};
    for (const auto& name : owners) {
      auto it = std::find_if(wanted.begin(), wanted.end(), [&](const auto& w) { return w.first == name; });
      if (it == wanted.end()) {
        wanted.emplace_back(name, std::vector<CgroupController>{});
        it = std::prev(wanted.end());
      }
      for (CgroupController c : kind->cgroup(f))
        if (std::find(it->second.begin(), it->second.end(), c) == it->second.end()) it->second.push_back(c);
    }
  }
  if (wanted.empty()) return;
  const CgroupLayout layout = probe_cgroup_layout("/proc/self/mounts", "/proc/self/cgroup", run_cgroup);
  for (const auto& [service, controllers] : wanted) {
    for (CgroupController c : controllers)
      if (const std::string why = cgroup_refusal(layout, c); !why.empty())
        throw std::runtime_error(fmt::format("'{}' needs a cgroup with the {} controller: {}", service,
                                             controller_name(c), why));
    const auto dirs = plan_service_cgroup(layout, run_id, service, controllers);
    // In the ledger before they exist: whatever happens next, they are removed.
    for (const auto& d : dirs) ledger.resource_cgroups.push_back(d.string());
    save_ledger(ledger);
    std::string where;
    for (const auto& d : dirs) {
      make_service_cgroup(d);
      where += (where.empty() ? "" : ", ") + d.string();
    }
    clone.set_cgroup(service, dirs);
    std::string names;
    for (CgroupController c : controllers) names += (names.empty() ? "" : ", ") + controller_name(c);
    log(fmt::format("'{}' starts in cgroup {} ({}; {})", service, where, names,
                    cgroup_controls(dirs)->version()));
  }
}

std::vector<std::string> remove_run_cgroups(Ledger& ledger) {
  std::vector<std::string> left;
  while (!ledger.resource_cgroups.empty()) {
    const std::string dir = ledger.resource_cgroups.back();
    if (const std::string why = remove_service_cgroup(dir); !why.empty()) {
      left.push_back(fmt::format("cgroup {}: {}", dir, why));
      break;  // kept in the ledger for the watchdog and cleanup
    }
    ledger.resource_cgroups.pop_back();
    try {
      save_ledger(ledger, Durability::crash_safe);
    } catch (const std::exception&) {
      // The watchdog would find it gone already: removing is idempotent.
    }
  }
  return left;
}

}  // namespace faultline
