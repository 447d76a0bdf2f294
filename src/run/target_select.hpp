// Choosing a dynamic target at injection (issue 14; the scenario's side is
// src/scenario/dynamic_target.hpp). For `target = { select = "COMMAND",
// among = ["a", "b", "c"] }` the runner runs COMMAND on the controller once
// per candidate, in order, with that candidate's {service.name} and
// {service.addr} substituted (with network = "namespaces" in the hub, where
// probes and steps run), each bounded by the select's `timeout` and ended at
// once by a stop request. The candidate whose command exits 0 is the target.
// Exactly one must: none or several is a FaultError that names every
// candidate's result, and the fault is not applied (the run stops, exit 4).
// The choice is made right before the fault's prepare, so that it is the
// leader *now* that is killed or isolated, and it is recorded on the fault's
// event (FaultEvent::target and ::selected).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "os/stop.hpp"
#include "scenario/network_plan.hpp"
#include "scenario/placeholders.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

namespace asio = boost::asio;

/// Each candidate's own placeholders: {service.name}, and {service.addr},
/// the address of its [[host]], of its namespace with network =
/// "namespaces" (`plan`), else 127.0.0.1.
std::map<std::string, Bindings> candidate_bindings(const Scenario& s, const TargetSelect& sel, const NetworkPlan* plan);

/// What one candidate's command did.
struct CandidateResult {
  std::string name;
  int exit_code = -1;       ///< -N when killed by signal N
  bool timed_out = false;
  std::string start_error;  ///< the command could not be started
  std::string output;       ///< the tail of its stdout and stderr
};

/// The choice among the results (pure): the one candidate whose command
/// exited 0. Throws FaultError (fault_injectors/injector.hpp) when none or
/// several did, naming each candidate's result.
std::string decide_selection(const TargetSelect& sel, const std::vector<CandidateResult>& results);

/// Runs the select command for every candidate and decides (see atop this
/// file). nullopt when the run was stopped meanwhile.
asio::awaitable<std::optional<std::string>> select_target(asio::any_io_executor ex, const TargetSelect& sel,
                                                          const std::map<std::string, Bindings>& bindings,
                                                          const std::string& netns, StopSource& stop);

}  // namespace faultline
