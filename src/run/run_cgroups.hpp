// The cgroups a run makes for the services its resource faults act on
// (resource_cgroup.hpp), before the clone starts, each written to the crash
// ledger (durably) before it is made, and removed after the clone has
// stopped. Should the harness die, the watchdog and `faultline cleanup` kill
// what is left in them and remove them (os/cleanup.cpp).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "os/ledger.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

class Clone;

/// For each service a fault's kind needs a cgroup for (InjectorKind::cgroup),
/// makes one with every controller the faults on it need (under the host's
/// layout; `run_cgroup`: the run's own v2 cgroup, whose parent holds v2
/// service cgroups), after adding its directories to
/// `ledger.resource_cgroups` and saving the ledger, and tells the clone to
/// start the service in it. `log` hears one line per service. Throws
/// std::runtime_error (what was made is in the ledger).
void make_run_cgroups(const Scenario& s, const std::string& run_id, const std::filesystem::path& run_cgroup,
                      Clone& clone, Ledger& ledger, const std::function<void(const std::string&)>& log);

/// Removes every cgroup of `ledger.resource_cgroups`, newest first (killing
/// what is still in it), dropping each from the ledger once gone. Returns
/// one line per cgroup left behind; never throws.
std::vector<std::string> remove_run_cgroups(Ledger& ledger);

}  // namespace faultline
