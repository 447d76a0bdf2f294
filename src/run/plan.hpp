// `faultline plan`: the resolved timeline of a scenario, printed without
// starting or touching anything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "scenario/scenario.hpp"

namespace faultline {

/// The plan as text: services in start order, probes, measurement settings,
/// each iteration's injections with their offsets (window picks drawn from
/// `seed`; when no seed is known the windows are shown as ranges), thresholds.
std::string render_plan(const Scenario& s, std::optional<std::uint64_t> seed);

/// The "thresholds:" block of the plan (`title` heads it), one line per objective.
std::string thresholds_block(const Thresholds& t, const std::string& title = "thresholds:");

}  // namespace faultline
