// What `plan` says of the remote process faults and of exec on a host
// (issue 14: "plan lists every remote action before a run"): one line per
// action, on which host, in the words the injectors act in
// (process_kill.cpp, process_pause.cpp, process_restart.cpp,
// exec_fault.cpp). net.partition's lines are host_partition_plan()'s.
#pragma once

#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace faultline {

/// The remote actions of the scenario's process.kill / pause / restart
/// faults on services of a [[host]] and of its exec faults with `host`, in
/// fault order: "on 'HOST': fault 'NAME': ...". Empty without [[host]].
std::vector<std::string> remote_fault_plan(const Scenario& s);

/// The one line `plan` gives a net.partition across [[host]]s in the
/// schedule: what it does on which hosts (an nftables table on each,
/// dropping or rejecting between their addresses), not the proxied links'
/// words; "" when `f` is no partition across hosts.
std::string host_partition_text(const Scenario& s, const FaultSpec& f);

}  // namespace faultline
