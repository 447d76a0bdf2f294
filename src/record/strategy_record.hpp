// The comparison of a scenario's strategies in the run record (issue 17):
// per strategy, what its iterations measured (src/measure/strategy_stats),
// and for each pair the difference of their median recovery times with a
// seeded bootstrap interval (src/measure/strategy_compare); then the
// ranking. Plain data: the JSON writer and reader carry it, the reports
// render it, nothing here computes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenario/duration.hpp"

namespace faultline {

/// A recovery figure of a strategy: a time, or "> deadline" when it falls on
/// an iteration that never recovered (never a number then).
struct StrategyTime {
  Nanos value{0};               ///< meaningful only when !beyond_deadline
  bool beyond_deadline = false;  ///< "> deadline" (give_up_after)
  bool operator==(const StrategyTime&) const = default;
};

/// What one strategy's iterations measured.
struct StrategyStats {
  std::string name;
  int iterations = 0;     ///< iterations of it that ran to their end (measured)
  int not_recovered = 0;  ///< of them, how many never recovered by the deadline
  /// Recovery time (t_recover - t_inject) over its iterations, a never-recovered
  /// one counting as beyond every number; nullopt when it ran none.
  std::optional<StrategyTime> recovery_p50, recovery_p95, recovery_max;
  /// TTR over its episodes that recovered.
  int ttr_n = 0;
  std::optional<Nanos> ttr_p50, ttr_p95, ttr_max;
  /// Time to mitigate (runbook start to recovery) and runbook duration, medians.
  std::optional<Nanos> mitigate_p50, runbook_p50;
  int secondary_outages = 0;          ///< iterations with a relapse or a new episode after its runbook started
  double secondary_outage_rate = 0;   ///< secondary_outages / iterations, 0..1
  int failed_steps = 0;               ///< [[strategy.recovery]] steps that failed
  int failed_verifications = 0;       ///< [[verify]] and [[strategy.verify]] steps that failed
  std::uint64_t data_lost = 0;        ///< acknowledged writes lost, over its iterations
  std::optional<double> availability;  ///< percent, combined, over its iterations; none without samples
  bool eligible = false;              ///< may be ranked fastest
  std::string ineligible_why;         ///< why not ("lost 3 acknowledged writes", ...)
  int rank = 0;                       ///< 1 = fastest; 0 = not ranked (ineligible or nothing measured)
};

/// One pair of strategies: the difference of their median recovery times.
struct StrategyPair {
  std::string a, b;
  /// median(a) - median(b); none when either median is "> deadline" or missing.
  std::optional<Nanos> difference;
  Nanos ci_low{0}, ci_high{0};  ///< the bootstrap interval of the difference, at the confidence
  bool significant = false;     ///< the interval excludes 0 (or one side never recovers)
  /// "a faster", "b faster" or "not enough iterations to tell".
  std::string verdict;
  /// Iterations per strategy that would make the difference significant at
  /// the observed spread; 0 when significant or when it cannot be told.
  int iterations_needed = 0;
};

/// The whole comparison.
struct StrategyComparison {
  double confidence = 95;  ///< percent
  std::uint64_t bootstrap_seed = 0;
  int bootstrap_resamples = 0;
  std::vector<StrategyStats> strategies;  ///< in declaration order
  std::vector<StrategyPair> pairs;        ///< each unordered pair once, declaration order
  /// The fastest eligible strategy, "" when none is eligible or the fastest
  /// cannot be told from the next (then `conclusion` says so).
  std::string fastest;
  std::string conclusion;  ///< one sentence for the reports
};

}  // namespace faultline
