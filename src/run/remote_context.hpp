// The RemoteContext of a run (fault_injectors/remote_fault.hpp): where each
// service declared on a [[host]] runs and how its process is found there,
// for the process kinds, and the guardians' settings. A service the run
// started is found by its pid file in the run's directory on the host
// (pid_script); an attached one as the hosts layer finds it (find_script).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "fault_injectors/remote_fault.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

class RemoteHosts;

/// The run's RemoteContext; `hosts` and `s` must outlive it.
std::unique_ptr<RemoteContext> make_remote_context(const Scenario& s, const RemoteHosts& hosts, std::string run_id,
                                                   std::filesystem::path logs);

}  // namespace faultline
