// Where the harness could have missed an outage (docs/measurement.md,
// "Counts the harness could not see whole"). A probe sees the system only at
// its samples. The harness calls a probe on schedule while it starts each
// sample less than an interval after its tick (later is a stall of that
// probe), so on schedule two samples can be up to two intervals apart, and
// the episode and relapse counts are exact for outages longer than two
// intervals of the coarsest steady-state probe: the counts' resolution
// (most runs see far shorter ones). When the harness stalls (stopped,
// starved of CPU), a probe can go far longer without an answer: an outage
// that began and ended inside that gap is seen by no sample, and the counts
// would silently come out short (a 112 ms stall hid a whole 80 ms outage of
// a flapping server in the ground-truth test). A **blind spot** is such a
// gap of a steady-state probe: between two consecutive samples that are
// evidence, nothing answered (from the one's end to the other's start) for
// longer than the probe's interval, across a harness stall (of the whole
// harness or of that probe), that could hide an outage longer than the
// resolution. Its length, from the earlier sample's start to the later
// one's end, is the longest outage it could hide. A shorter gap hides
// nothing the counts claim: on a 2-vCPU virtual machine, even idle, the
// whole harness misses its schedule by 20-90 ms every few tens of seconds,
// and a 10 ms probe's 34 ms gap beside a 50 ms probe changes no count the
// run could vouch for. An iteration with one has lower bounds for counts,
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
/// count over that window is exact for outages longer than the resolution.
std::optional<BlindSpot> longest_blind_spot(const std::vector<ProbeSeries>& probes, Nanos from, Nanos until,
                                            const std::vector<HarnessStall>& stalls);

/// The coarsest steady-state probe's interval (0 without one): the least
/// half-width of every bracket, a run's `uncertainty`.
Nanos coarsest_steady_interval(const std::vector<ProbeSeries>& probes);

/// The counts' resolution for a run whose coarsest steady-state interval is
/// `coarsest`: two of them. Outages no longer than this can pass between
/// samples on schedule; a blind spot is a gap that could hide a longer one.
constexpr Nanos resolution_for(Nanos coarsest) { return coarsest * 2; }

/// The counts' resolution of these probes: resolution_for(coarsest_steady_interval).
Nanos count_resolution(const std::vector<ProbeSeries>& probes);

/// "2 episodes seen; a 112.000 ms blind spot (a harness stall) from 1.204 s
/// could hide more" for a count measured across `blind` (0: "").
std::string lower_bound_note(int seen, const char* what, Nanos blind, Nanos blind_start);

}  // namespace faultline
