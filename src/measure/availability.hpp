// Availability over time (docs/measurement.md, "Availability"): the share of
// the observed time that was healthy, reconstructed from the samples as they
// really ran, with the time nothing trustworthy covered (harness stalls,
// samples the harness decided, answers that hung) kept apart as unknown; and
// beside it the share of scheduled ticks that got an ok answer. A pure
// function of the samples and the harness's stalls.
#pragma once

#include <vector>

#include "record/record.hpp"

namespace faultline {

/// Availability per probe (every probe, in declaration order) and then
/// "combined" (the steady-state probes: healthy while all are, failing while
/// any is) over [from, until].
std::vector<Availability> availability_over(const std::vector<ProbeSeries>& probes, Nanos from, Nanos until,
                                            const std::vector<HarnessStall>& stalls);

/// Adds `from` into `into`, matching entries by probe name; "combined" stays last.
void add_availability(std::vector<Availability>& into, const std::vector<Availability>& from);

}  // namespace faultline
