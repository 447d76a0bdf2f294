// The record of a run that has not concluded (issue 17): while a run goes
// on, RUN_DIR/run.json holds a partial record, rewritten atomically when the
// clone is ready and after each iteration ends, so that a harness killed
// outright (SIGKILL, OOM, a crash) still leaves an honest account of how far
// it got; the concluded record replaces it. A partial record is the live
// record as it stands (its faults, steps and service events so far, the
// scenario and, with strategies, the planned order) with no samples, no
// metrics and no verdicts: nothing was measured or judged. Its outcome is
// "interrupted" (never "passed") and its error says it is partial, so every
// report that shows a record's error says so; its "partial" object says how
// many iterations had ended and, with strategies, how many of them each
// strategy ran. Writing it copies neither samples nor metrics: the live
// record holds none until the conclusion.
#pragma once

#include <boost/json/object.hpp>

#include "record/json_strict.hpp"
#include "record/record.hpp"

namespace faultline {

/// The partial record of the live record `live` once iterations 1..k have
/// ended: its copy without samples, metrics or verdicts, outcome
/// interrupted, error "partial: ...", and `partial` set (per strategy from
/// live.iteration_strategies, every declared strategy named).
RunRecord make_partial_record(const RunRecord& live, int iterations_done);

/// "partial: the harness did not conclude; figures only for the 2 iteration(s)
/// done (restart 1, failover 1)": what reports say of a partial record.
std::string partial_text(const PartialRun& p);

/// The record's "partial" object.
boost::json::object partial_json(const PartialRun& p);

/// Reads a "partial" object; JsonError (with the key path) on anything else.
PartialRun read_partial(const json_strict::Reader& c, json_strict::Object o);

}  // namespace faultline
