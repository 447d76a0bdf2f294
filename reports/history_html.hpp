// The history page (`faultline history --format html`; issue 18): one
// self-contained HTML file, no script and nothing fetched, with an SVG chart
// of recovery time (the worst iteration of each run) and MTTR over the runs,
// oldest left: one point per run and series, the band between each run's TTR
// p50 and p95 shaded, failed runs drawn as red points, each label's first
// run marked with a dashed line and its name, and each point a link to its
// run record when the row still names one (the command line drops the path
// of a record that is gone). A run that did not recover is drawn at the top
// edge, marked "> deadline". Below the chart, the table and the findings.
// The colours are the run report's (reports/html_timeline.cpp): recovery in
// its recovery blue, MTTR in its ok green, a run that did not pass in its fail red.
// A pure function of the rows, tested by parsing its output.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "history/run_row.hpp"
#include "history/trend_check.hpp"

namespace faultline {

/// Takes rendered text piece by piece (stdout, a string).
using TextSink = std::function<void(std::string_view)>;

/// How much text a renderer gathers before handing it to its sink.
inline constexpr std::size_t kTextChunk = 64 * 1024;

/// The page for `rows` (oldest first) and, with `checked`, the findings.
std::string render_history_html(const std::vector<RunRow>& rows, const std::vector<Finding>& findings, bool checked);

/// The same page, handed to `sink` in pieces of about kTextChunk bytes.
void render_history_html_to(const TextSink& sink, const std::vector<RunRow>& rows, const std::vector<Finding>& findings,
                            bool checked);

}  // namespace faultline
