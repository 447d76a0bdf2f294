// Per strategy figures of a strategy run (issue 17; docs/design.md section
// 3, "Strategies"). Each iteration of the run belongs to one strategy
// (RunRecord::iteration_strategies); its measured figures become one
// StrategySample, and a strategy's samples its StrategyStats. Pure functions
// of the record, tested on synthetic samples.
//
// A never-recovered iteration's recovery time is beyond every number: it
// sorts after every recovered one and a percentile that falls on it is
// "> deadline" (StrategyTime::beyond_deadline), never a figure. A secondary
// outage is a relapse, or an episode that began after the strategy's
// runbook started (the runbook itself caused it: a failover's clients
// reconnecting, a restart under load).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "record/record.hpp"

namespace faultline {

/// What one iteration of one strategy measured.
struct StrategySample {
  std::optional<Nanos> recovery_time;  ///< t_recover - t_inject (0 when absorbed); none = never recovered
  std::vector<Nanos> ttrs;             ///< TTR of each of its episodes that recovered
  std::optional<Nanos> mitigate;       ///< runbook start - t_fail
  std::optional<Nanos> runbook;        ///< runbook duration
  bool secondary_outage = false;
  int failed_steps = 0;          ///< runbook steps that failed
  int failed_verifications = 0;  ///< verify steps that failed
  std::uint64_t lost = 0;        ///< acknowledged writes lost
  Nanos up{0}, down{0};          ///< observed healthy and failing time (combined availability)
};

/// The samples of each strategy of `rec` (in the order of `rec.scenario.strategies`),
/// from the iterations that were measured.
std::vector<std::vector<StrategySample>> strategy_samples(const RunRecord& rec);

/// A nearest-rank percentile (0 < q <= 1) of recovery times, never-recovered
/// ones last; nullopt for no samples.
std::optional<StrategyTime> recovery_percentile(const std::vector<StrategySample>& samples, double q);

/// The figures of one strategy. Eligibility (to be ranked) is: something
/// measured, no data lost, no failed verification, no failed runbook step,
/// and a secondary-outage rate within `max_secondary_rate` percent; rank is
/// left to the comparison.
StrategyStats summarize_strategy(const std::string& name, const std::vector<StrategySample>& samples,
                                 double max_secondary_rate);

}  // namespace faultline
