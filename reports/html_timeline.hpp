// The HTML report's timeline: one SVG per iteration (or one over the whole
// run when no iteration ran), x = time relative to the injection. Rows, top
// to bottom: marker labels, fault windows, service events, the outage row
// (episodes, relapse flags) and the TTD / TTR row, a lane per probe, the
// time axis. The classes and data attributes it writes are listed in
// html.hpp. A pure function of the record.
#pragma once

#include <string>
#include <vector>

#include "record/record.hpp"
#include "reports/html_svg.hpp"

namespace faultline::html {

/// The timeline of iteration `m` over the window `xs`, or of the whole run
/// when `m` is null (probe lanes and services only); `title` is its
/// accessible name.
std::string timeline_svg(const RunRecord& r, const std::vector<Drawn>& probes, const IterationMetrics* m,
                         const XScale& xs, const std::string& title);

}  // namespace faultline::html
