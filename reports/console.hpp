// The end-of-run summary on the console: per-iteration figures, MTTR with its
// distribution, availability and one line per verdict. A pure function of the
// run record.
#pragma once

#include <string>

#include "record/record.hpp"

namespace faultline {

/// The summary as text; ANSI colour for PASS/FAIL when `color`.
std::string render_console_summary(const RunRecord& r, bool color);

}  // namespace faultline
