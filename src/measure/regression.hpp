// The regression gate: `faultline run ... --baseline PREVIOUS.json
// [--max-regression 20%]` judges this run against an earlier run of the same
// scenario, for release-over-release gates. Three verdicts, each failing when
// the figure got worse than the baseline's by more than the tolerance:
//
//   regression.recovery_time_max   the worst iteration's recovery time
//   regression.recovery_time_p95   recovery time, p95 over the iterations
//   regression.mttr                MTTR (mean TTR over every episode)
//
// with limit = baseline x (1 + tolerance) and margin = limit - measured. An
// iteration that did not recover has an unbounded recovery time (shown as
// "> deadline", as everywhere) and an episode that did not recover an
// unbounded MTTR: unbounded is worse than any duration, and no worse than
// unbounded. An absorbed fault's recovery time is 0, and MTTR is 0 when there
// was no episode (as the `mttr` threshold has it). Pure functions: the
// command line reads the baseline, the runner adds the verdicts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "measure/series_gate.hpp"
#include "record/record.hpp"

namespace faultline {

/// An earlier run to compare against, and how much worse this one may be.
struct Baseline {
  std::string source;      ///< the file it was read from, for messages
  RunRecord record;        ///< its samples are not needed and may be dropped
  double tolerance = 0.2;  ///< 0.2 = this run may be 20 % worse
  /// --baseline history[:N] (series_gate.hpp): the last N passing runs from
  /// the history store; when not empty, the gate judges against them, not `record`.
  std::vector<SeriesPoint> series;
};

/// "20%", "20 %", "20" or "12.5%" as a fraction (0.2, 0.125); nullopt for
/// anything else, including negative or non-finite numbers.
std::optional<double> parse_tolerance(std::string_view text);

/// "20 %", "12.5 %": a tolerance as the verdicts show it.
std::string tolerance_text(double tolerance);

/// Why `baseline` cannot serve as the baseline of a run of the scenario
/// named `scenario_name`, or "" when it can: it must be of that scenario and
/// have at least one measured iteration.
std::string baseline_problem(const Baseline& baseline, const std::string& scenario_name);

/// A warning when the baseline ran a different text of the scenario (its
/// digest differs from `scenario_digest`), or "": the comparison still holds,
/// but thresholds or timings may have changed between the two.
std::string baseline_warning(const Baseline& baseline, const std::string& scenario_digest);

/// The regression verdicts of a run (its iterations, statistics and
/// give_up_after) against the baseline; none when the run measured no iteration.
std::vector<Verdict> regression_verdicts(const RunRecord& run, const Baseline& baseline);

}  // namespace faultline
