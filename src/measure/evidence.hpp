// Which samples are evidence (docs/measurement.md, "Samples that are not
// evidence"). A probe's outcome is the system's answer only while the harness
// was there to time it: an ok answer that came after the probe's timeout, or
// a timeout that fired while the harness was stalled or more than one
// interval late, was decided by the harness, not by the system. Such samples
// are marked (Sample::harness_decided, kept in the run record) and count
// neither as outage nor as health. A pure function of the samples, the
// probes' timeouts and the harness's stalls.
#pragma once

#include <vector>

#include "record/record.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// Whether the harness decided the sample `x` of a probe with this interval
/// and effective timeout, given the stalls that concern the probe.
bool harness_decided(const Sample& x, Nanos interval, Nanos timeout, const std::vector<HarnessStall>& stalls,
                     const std::string& probe);

/// Marks every sample the harness decided (`specs` gives each probe's
/// timeout, matched by name); returns how many it marked.
std::size_t mark_harness_decided(std::vector<ProbeSeries>& probes, const std::vector<ProbeSpec>& specs,
                                 const std::vector<HarnessStall>& stalls);

}  // namespace faultline
