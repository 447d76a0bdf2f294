// The HTML report's probe-latency chart: each probe's latency (end - start of
// a sample) over the same window as the timeline above it, the fault windows
// shaded, the injection and t_recover as dashed lines, failed samples
// circled, and a legend. A pure function of the record.
#pragma once

#include <string>
#include <vector>

#include "record/record.hpp"
#include "reports/html_svg.hpp"

namespace faultline::html {

/// The latency chart over the window `xs`, with iteration `m`'s faults and
/// markers (none when `m` is null); `title` is its accessible name.
std::string latency_svg(const RunRecord& r, const std::vector<Drawn>& probes, const XScale& xs,
                        const IterationMetrics* m, const std::string& title);

}  // namespace faultline::html
