// Episodes and metrics from timestamped samples: a pure implementation of
// docs/design.md section 3. No clock, no I/O: the runner hands in the samples it
// recorded and the times of its fault events; tests hand in synthetic ones.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "record/record.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// The parameters of measurement that come from the scenario.
struct MeasureParams {
  RecoveredAfter recovered_after;
  Nanos watch{0};
  Nanos give_up_after{0};
  /// When the harness did not run on schedule (RunRecord::stalls): that time
  /// is unknown for availability, and an absorbed fault with a blind spot
  /// in its window (blind_spots.hpp) is undetermined.
  std::vector<HarnessStall> stalls;
};

/// An injection after the first one of an iteration.
struct LaterInjection {
  Nanos start{0};   ///< its inject_start
  Nanos inject{0};  ///< its t_inject
  std::string fault;  ///< FaultEvent::fault
  LaterInjection() = default;
  /// An injection that started and returned at `at` (tests).
  template <class Rep, class Period>
  LaterInjection(std::chrono::duration<Rep, Period> at) : start(at), inject(at) {}  // NOLINT: implicit on purpose
  LaterInjection(Nanos s, Nanos i, std::string f) : start(s), inject(i), fault(std::move(f)) {}
};

/// The fault events of one iteration, reduced to what measurement needs.
/// Timed actions (`injection = false`) are not in it: they are no injections.
struct IterationWindow {
  int index = 1;
  Nanos start{0};          ///< iteration start
  Nanos inject_start{0};   ///< start of the first injection
  Nanos inject{0};         ///< t_inject of the first injection
  std::optional<Nanos> revert;  ///< t_revert of the last revert (faults with a duration)
  std::vector<LaterInjection> later_injections;  ///< every further injection, in start order
  std::string first_fault;  ///< FaultEvent::fault of the first injection
  Nanos observed_until{0};  ///< samples that started after this are ignored
};

/// The metrics of one iteration from the samples of every probe (only
/// steady-state probes decide health; others get availability only).
IterationMetrics measure_iteration(const std::vector<ProbeSeries>& probes,
                                   const IterationWindow& w, const MeasureParams& p);

/// What the runner needs while observing: whether it can stop observing this
/// iteration at `now` (recovered and the watch window elapsed with no open
/// episode, or absorbed and the watch elapsed after the last revert/inject,
/// or the deadline passed).
bool observation_complete(const std::vector<ProbeSeries>& probes, const IterationWindow& w,
                          const MeasureParams& p, Nanos now);

/// The injections of every iteration with the iteration they belong to; an
/// iteration measured without them (read from an older record) stands for
/// its first one.
std::vector<std::pair<const IterationMetrics*, InjectionMetrics>> all_injections(
    const std::vector<IterationMetrics>& iterations);

/// "between A and B" when the bracket `b` of the figure `point` is wider than
/// +/- `resolution` (one probe interval), else "" (docs/measurement.md, "Brackets").
std::string bracket_note(Nanos point, const std::optional<Bracket>& b, Nanos resolution);

/// Statistics across iterations (count, mean, p50, p95, max, stddev): TTD
/// and recovery time over every injection, TTR over every episode.
RunStatistics summarize(const std::vector<IterationMetrics>& iterations);

/// count/mean/p50/p95/max/stddev of a set of durations (nearest-rank percentiles).
Stats stats_of(std::vector<Nanos> values);

/// One verdict per threshold present in `t`; `rto` and `ttd` are judged in
/// every iteration (one verdict each for the run, failing if any iteration
/// fails, with the worst iteration named), `mttr` on the mean.
std::vector<Verdict> judge(const Thresholds& t, const std::vector<IterationMetrics>& iterations,
                           const RunStatistics& stats, const MeasureParams& p);

}  // namespace faultline
