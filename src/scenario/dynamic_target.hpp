// Dynamic targets (issue 14) in the scenario layer: where the chosen name
// goes in a fault (its `target`, or net.partition's `isolate`), how `plan`
// and the reports say what will be chosen, and validation of the select
// table (scenario.hpp's TargetSelect) against the rest of the scenario.
// Choosing happens at injection, on the controller (src/run/target_select.hpp).
//
// Validation checks the table (a command, at least one candidate, each a
// declared service, none twice, a key that names a service), then the fault
// once per candidate, as if that candidate had been chosen, with the same
// checks a fault naming it would get (its kind's own included): a dynamic
// fault is valid when every choice would be. Diagnostics the candidates
// share are reported once.
#pragma once

#include <string>
#include <vector>

#include "scenario/diagnostics.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// `f` with the chosen service `name` placed where its select says
/// (`target`, or the `isolate` of a partition's parameters).
void place_selected(FaultSpec& f, const std::string& name);

/// "the first of [a, b, c] where `CMD` succeeds, chosen at injection".
std::string selection_text(const TargetSelect& sel);

/// Placeholders defined only in a select command: the candidate's name and address.
const std::vector<std::string>& select_placeholders();

/// The checks of fault `index`, which has a select (see atop this file).
void check_dynamic_fault(const Scenario& s, std::vector<Diagnostic>& out, std::size_t index);

}  // namespace faultline
