// Where the harness could have missed an outage (docs/measurement.md,
// "Counts the harness could not see whole"). A probe sees the system only at
// its samples: with the harness on schedule the time between one sample's
// end and the next one's start is less than one interval, so every outage
// longer than an interval (and the probe's latency) is seen, and the episode
// and relapse counts are exact for them. When the harness stalls (stopped,
// starved of CPU), a probe can go far longer without an answer: an outage
// that began and ended inside that gap is seen by no sample, and the counts
// would silently come out short (a 112 ms stall hid a whole 80 ms outage of
// a flapping server in the ground-truth test). A **blind spot** is such a
// gap of a steady-state probe: between two consecutive samples that are
// evidence, nothing answered (from the one's end to the other's start) for
// longer than the probe's interval, across a harness stall (of the whole
// harness or of that probe). Its length, from the earlier sample's start to
// the later one's end, is the longest outage it could hide. An iteration with one has lower bounds for counts,
// and max_recurrence cannot pass on them (thresholds.cpp). Samples kept
// folded (record/sample_fold.hpp) do not keep their gaps: a fold that a
// stall overlaps counts as a blind spot as long as its skipped ticks and the
// stall allow, never shorter. A pure function of the samples and stalls.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "record/record.hpp"

namespace faultline {

/// A time a steady-state probe went without evidence across a harness stall.
struct BlindSpot {
  Nanos start{0};     ///< the start of the last sample that was evidence before it
  Nanos length{0};    ///< to the next one's end: the longest outage that could hide (folded samples: the most it can be)
  std::string probe;  ///< the probe that was blind
};

/// The longest blind spot of the steady-state probes that overlaps [from,
/// until] (gaps up to samples that started by `until`); none when every
/// count over that window is exact.
std::optional<BlindSpot> longest_blind_spot(const std::vector<ProbeSeries>& probes, Nanos from, Nanos until,
                                            const std::vector<HarnessStall>& stalls);

/// "2 episodes seen; a 112.000 ms blind spot (a harness stall) from 1.204 s
/// could hide more" for a count measured across `blind` (0: "").
std::string lower_bound_note(int seen, const char* what, Nanos blind, Nanos blind_start);

}  // namespace faultline
