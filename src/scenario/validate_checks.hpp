// The parts of validate() that live in files of their own: the checks of
// one [[fault]] (validate_faults.cpp) and of every placeholder
// (validate_placeholders.cpp). Internal to validation.
#pragma once

#include <vector>

#include "scenario/diagnostics.hpp"
#include "scenario/fault_kind.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// The checks of one [[fault]]: its target and 'duration' as its kind's
/// descriptor says, the kind's own check, then 'at', 'repeat' and 'every'.
void check_fault(FaultCheck& c);

/// The [[host]] tables and the services on them (validate_hosts.cpp).
void check_hosts(const Scenario& s, std::vector<Diagnostic>& out);

/// Every placeholder of `s` names something declared where it is used.
void check_placeholders(const Scenario& s, std::vector<Diagnostic>& out);

/// The [[strategy]] tables (validate_strategies.cpp, issue 17).
void check_strategies(const Scenario& s, std::vector<Diagnostic>& out);

}  // namespace faultline
