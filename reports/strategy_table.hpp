// The comparison of a strategy run (issue 17) as the console summary and the
// Markdown report show it: one row per strategy (rank, iterations done of
// those planned, recovery p50/p95/max with "> deadline" for a figure that
// falls on a never-recovered iteration, TTR, time to mitigate, secondary
// outages, failed steps and verifications, data lost, availability), one
// line per pair (the difference of medians, its interval, the verdict), and
// the conclusion. Each row says how finely its times are known ("each
// +/-": the widest resolution of its iterations, one probe interval at
// least), as the iteration table does; the pairs' intervals are already
// widened by it. Pure functions of the record; "" for a run without
// strategies.
#pragma once

#include <string>

#include "record/record.hpp"

namespace faultline {

/// The console's "strategies" block.
std::string strategy_table_text(const RunRecord& r);

/// The Markdown "Strategies" section.
std::string strategy_table_markdown(const RunRecord& r);

/// A recovery figure: "412.118 ms", "> deadline", or "-" when nothing was measured.
std::string strategy_time_text(const std::optional<StrategyTime>& t);

/// An interval bound: "-120.000 ms", "> deadline" or "< -deadline".
std::string strategy_bound_text(Nanos b);

/// How finely strategy `name`'s times are known: the widest resolution
/// (IterationMetrics::uncertainty: one probe interval at least) of its iterations.
Nanos strategy_uncertainty(const RunRecord& r, const std::string& name);

/// Time to mitigate over strategy `name`'s iterations, 95th percentile
/// (nearest rank, as every percentile of the record); nullopt when no
/// runbook step of it ran.
std::optional<Nanos> strategy_mitigate_p95(const RunRecord& r, const std::string& name);

}  // namespace faultline
