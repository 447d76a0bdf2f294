// The regression gate against a series (issue 18: `faultline run
// --baseline history[:N]`): instead of one earlier record, the last N
// passing runs of the same scenario from the history store. Three verdicts,
// named as the single-baseline gate's (regression.hpp):
//
//   regression.recovery_time_max, regression.recovery_time_p95, regression.mttr
//
// each failing when this run's figure lies beyond the series' own spread by
// more than the tolerance: limit = (the largest of the N runs' figures) x
// (1 + tolerance). The verdict's detail states the test, the series (its
// runs, labels, median and largest figure) and the tolerance. A series
// point that did not recover is unbounded: nothing is beyond it, so there
// is no limit (the verdict passes, and says why). When the scenario's text
// changed since the series ran (its digest differs), the run is warned, as
// with a baseline file. Pure functions of the run and the points, which the
// command line reads from the store.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "record/record.hpp"

namespace faultline {

/// One earlier run's figures, as the history store keeps them.
struct SeriesPoint {
  std::string run_id, label;
  std::optional<Nanos> recovery_max;  ///< none: unbounded (did not recover)
  std::optional<Nanos> recovery_p95;  ///< none: unbounded
  std::optional<Nanos> mttr;          ///< none: unbounded
  std::string scenario_digest;        ///< of the text it ran ("" when unknown)
};

/// The gate's verdicts of `run` against `series` (oldest first, not empty),
/// read from `source` (for the detail); none when the run measured no iteration.
std::vector<Verdict> series_verdicts(const RunRecord& run, const std::vector<SeriesPoint>& series, double tolerance,
                                     const std::string& source);

/// "" when every point of `series` (read from `source`) ran the text whose
/// digest is `digest`; else a warning naming how many did not, their digests
/// and this one (the gate compares anyway).
std::string series_digest_warning(const std::vector<SeriesPoint>& series, const std::string& scenario,
                                  const std::string& digest, const std::string& source);

}  // namespace faultline
