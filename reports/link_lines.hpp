// What the reports say about the run's [[link]]s: for now, the HTTP links'
// counts (requests framed, and those the http.* faults matched, aborted,
// delayed and replaced), one line per link, the same in the console, the
// Markdown and the HTML report. A pure function of the record.
#pragma once

#include <string>
#include <vector>

#include "record/record.hpp"

namespace faultline {

/// One line per link with protocol = "http", in declaration order:
/// "link 'api' (HTTP): 120 requests, 60 matched, 31 aborted, 0 delayed, 0 replaced".
/// Empty when the run has no HTTP link.
std::vector<std::string> http_link_lines(const RunRecord& r);

}  // namespace faultline
