// `--strategies a,b` (issue 17): which of a scenario's [[strategy]] tables a
// run or a plan compares. The selection keeps the scenario's declaration
// order (the order the reports list them in), whatever the flag's order.
#pragma once

#include <string>
#include <string_view>

#include "scenario/scenario.hpp"

namespace faultline {

/// Keeps only the strategies named in `list` (comma-separated names). Returns
/// "" on success; else why the list cannot be used (an unknown name, with the
/// scenario's strategies; a name given twice; an empty name; a scenario with
/// no strategies), and leaves `s` unchanged.
std::string select_strategies(Scenario& s, std::string_view list);

}  // namespace faultline
