// Semantic checks of a parsed scenario: references between tables (a fault's
// target is a declared service, a placeholder names a declared port,
// depends_on has no cycle), values that only make sense together (a pause
// needs a duration, a window's end is after its start) and names that must be
// unique. Every problem is collected, each with its file:line:col.
#pragma once

#include <vector>

#include "scenario/diagnostics.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// Every semantic problem of `s`; empty when the scenario can run.
std::vector<Diagnostic> validate(const Scenario& s);

/// A file a [[host]] names (identity, ssh_config, known_hosts) as opened:
/// absolute as written, "~/..." under $HOME, else relative to the directory
/// of the scenario file.
std::string resolve_host_path(const std::string& scenario_file, const std::string& path);

/// Services in an order where each comes after everything it depends on
/// (declaration order among independent ones). Requires a valid scenario.
std::vector<const ServiceSpec*> start_order(const Scenario& s);

}  // namespace faultline
