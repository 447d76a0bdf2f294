// What `plan` shows of a scenario's [[strategy]] tables (issue 17): each
// strategy with its runbook, verify steps and thresholds, then the run's
// interleaved order (strategy_schedule.hpp), iteration by iteration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "scenario/scenario.hpp"

namespace faultline {

/// The strategies and the order of the run's iterations drawn from `seed`
/// (seed 0 when none is known, said so); "" for a scenario without strategies.
std::string strategies_block(const Scenario& s, std::optional<std::uint64_t> seed);

}  // namespace faultline
