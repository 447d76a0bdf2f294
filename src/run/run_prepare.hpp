// Preparing a run (phase 1 of runner.cpp, before anything is started): its
// identity (run id, seed, host, start time), its directory, the ports of its
// services, the links' listening sockets, the plan of its network namespaces
// (network = "namespaces") and the scenario with its placeholders resolved
// and every process placed in its namespace. Nothing here starts a process;
// the network is only planned, built by the run itself (run.hpp).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "fault_injectors/proxy/link_set.hpp"
#include "os/netns.hpp"
#include "record/record.hpp"
#include "run/runner.hpp"
#include "scenario/placeholders.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// A run as prepared: the record begun, where it runs, and its network plan.
struct PreparedRun {
  RunRecord rec;                       ///< identity, seed, ports, the resolved scenario
  std::filesystem::path dir;           ///< the run directory, absolute (it and its logs/ exist)
  Bindings global;                     ///< {run.dir}, {run.id}, {seed}, {port.*}, {link.*}, {addr.*}
  std::optional<NetworkPlan> network;  ///< set when network = "namespaces"
};

/// Names the run, picks the seed, creates the run directory, binds the
/// services' ports and the links' listening sockets (on `links`), plans the
/// namespaces and resolves the placeholders (--iterations applied).
PreparedRun prepare_run(const Scenario& scenario, const std::string& scenario_text, const RunOptions& opts,
                        LinkSet& links);

/// Where each process of the run starts with network = "namespaces": a
/// service in its host's namespace, its ready probe there too (or in the
/// namespace of its `from`); [[probe]]s, [[guard]]s and [[setup]]/[[verify]] commands in
/// the hub, which no partition cuts, unless `from` names a service.
void place_in_namespaces(Scenario& s, const NetworkPlan& plan);

}  // namespace faultline
