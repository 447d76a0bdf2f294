// The comparison of a run's strategies (issue 17; docs/design.md section 3,
// "Strategies"): for each pair, the difference of their median recovery
// times with a percentile bootstrap interval at the scenario's confidence,
// from a seeded generator (the same record gives the same interval); then
// the ranking and the one sentence the reports lead with.
//
// Never-recovered iterations take part as "beyond every number": a resampled
// median may fall on one, and the difference is then infinite in that
// resample (the side that recovered is faster there). An interval bound that
// is such an infinity is kept as Nanos::max() (or its negation), which the
// reports show as "> deadline" ("< -deadline"), never as a number.
//
// Each interval is widened by twice the measurement resolution (a recovery
// time is known to one probe interval either side), and no pair is
// significant with fewer than kMinIterationsToTell iterations of either
// strategy: a percentile bootstrap of two or three values is much narrower
// than the truth.
//
// Ranking: only eligible strategies (strategy_stats.hpp: no data lost, no
// failed verification, no failed runbook step, secondary outages within the
// limit) are ranked, by median recovery time (then p95, then declaration
// order); one that never recovers ranks last, as "> deadline". The fastest is
// named only when its difference from the runner-up is significant;
// otherwise "not enough iterations to tell", with the iterations per
// strategy that the observed spread would need.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "measure/strategy_stats.hpp"
#include "record/record.hpp"

namespace faultline {

/// How the comparison is drawn.
struct CompareParams {
  double confidence = 95;           ///< percent, (0, 100)
  double max_secondary_rate = 0;    ///< percent
  std::uint64_t seed = 0;           ///< the bootstrap's generator
  int resamples = 2000;
  /// How finely a recovery time is known (docs/design.md section 3: one
  /// probe interval either side): each bound of a difference is widened by
  /// twice it, so that no interval is tighter than what was observed.
  Nanos resolution{0};
};

/// Fewer iterations of either strategy than this and a pair is never
/// significant: a bootstrap of 2 or 3 values is far narrower than the truth.
inline constexpr int kMinIterationsToTell = 5;

/// The pair (a, b): median(a) - median(b) and its bootstrap interval.
StrategyPair compare_pair(const std::string& a, const std::vector<StrategySample>& sa, const std::string& b,
                          const std::vector<StrategySample>& sb, const CompareParams& p);

/// The whole comparison of `names[i]` with samples `samples[i]`.
StrategyComparison compare_strategies(const std::vector<std::string>& names,
                                      const std::vector<std::vector<StrategySample>>& samples,
                                      const CompareParams& p);

/// The comparison of a record's strategies (its scenario's confidence and
/// limit, a bootstrap seed drawn from the run's seed); none without strategies.
std::optional<StrategyComparison> compare_record(const RunRecord& rec);

}  // namespace faultline
