// Judgements over a series of runs (issue 18, `faultline history --check`;
// docs/history.md): pure functions of the rows, tested on synthetic series.
//
// - regression: for each scenario, its labels in the order they first ran;
//   each label's per-iteration recovery times against the previous label's,
//   as the strategies are compared (measure/strategy_compare: the
//   difference of medians with a seeded percentile bootstrap interval at
//   `confidence`, never significant with fewer than 5 iterations a side). A
//   label regressed when its recovery time is significantly longer (the
//   interval lies above 0) and the median grew by more than `tolerance` of
//   the previous label's; a never-recovered median is longer than any number.
// - recurrence: a verdict (by threshold name) that failed in a run, then
//   passed in at least `passes_between` runs in a row, and failed again: the
//   failure came back. Runs without that verdict do not break the series,
//   nor do inconclusive runs and inconclusive verdicts (neither passed nor
//   failed: not a pass between failures, not a failure).
// - flaky: a scenario whose outcome (passed or failed) changed at least
//   twice over runs of the same scenario text (digest): it alternates with
//   nothing changed. Only passed and failed runs count (an inconclusive or
//   interrupted run is neither).
#pragma once

#include <string>
#include <vector>

#include "history/run_row.hpp"

namespace faultline {

/// How the series are judged.
struct CheckParams {
  double tolerance = 0.2;    ///< a step smaller than this share of the earlier median is not a regression
  double confidence = 95;    ///< percent, of the bootstrap interval
  int passes_between = 2;    ///< K: fail, >= K passes, fail is a recurrence
};

/// One thing `--check` found.
struct Finding {
  std::string kind;      ///< "regression", "recurrence" or "flaky"
  std::string scenario;
  std::string label;     ///< the label it is found at (regression: the first slow one)
  std::string run_id;    ///< the run it is found in, "" for a regression between labels
  std::string text;      ///< one sentence with the figures
};

/// Everything the series of `rows` (oldest first, any scenarios) shows.
std::vector<Finding> check_history(const std::vector<RunRow>& rows, const CheckParams& p);

/// The labels of `rows` in the order they first ran, each once.
std::vector<std::string> labels_in_order(const std::vector<RunRow>& rows);

}  // namespace faultline
