// The end-of-run summary on the console: per-iteration figures, MTTR with its
// distribution, availability and one line per verdict. A pure function of the
// run record.
#pragma once

#include <string>

#include "record/record.hpp"

namespace faultline {

/// The summary as text; ANSI colour for PASS/FAIL when `color`: the
/// headline (render_console_headline) then the body (render_console_body).
std::string render_console_summary(const RunRecord& r, bool color);

/// The summary's first two lines, "NAME: PASSED (exit 0)" and the run's id,
/// seed and length, saying `outcome` and `exit_code` rather than the
/// record's: `faultline run` prints its headline after the files are written
/// (docs/reliability.md, "Results on a full disk"), so that a run whose
/// results could not all be saved is never headed PASSED.
std::string render_console_headline(const RunRecord& r, bool color, Outcome outcome, int exit_code);

/// The summary without its headline: the error, warnings, figures, episodes,
/// statistics, runbook, data loss, verdicts and anything left behind.
std::string render_console_body(const RunRecord& r, bool color);

}  // namespace faultline
