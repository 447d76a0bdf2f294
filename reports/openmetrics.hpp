// The run's figures in the OpenMetrics text format (issue 21), for the
// Prometheus node exporter's textfile collector and any scraper of
// OpenMetrics: recovery time, TTD and TTR (MTTR = their mean) with their
// percentiles, relapses, availability per probe, data loss per workload,
// the outcome and every verdict, each labelled by scenario. A pure function
// of the records (run --metrics FILE writes it for every scenario of the
// run, after the record). Only figures that were observed are written: a
// statistic over no iteration has no sample, never a zero.
#pragma once

#include <string>
#include <vector>

#include "record/record.hpp"

namespace faultline {

/// OpenMetrics text for `runs` (one scenario each), ending with "# EOF".
std::string render_openmetrics(const std::vector<RunRecord>& runs);

}  // namespace faultline
