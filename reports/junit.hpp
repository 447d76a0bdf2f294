// JUnit XML for CI gates (Jenkins, GitLab, GitHub test reporters): one
// <testsuite> per scenario run, one <testcase> per verdict and one per
// iteration's recovery. A pure function of the run record.
//
// Test case names are stable from run to run (never a measured figure), so
// that CI history and flakiness tracking can follow them:
//   "rto", "mttr", "max_recurrence", "verify NAME"   one per verdict
//   "iteration N recovery"                            one per planned iteration
//   "run"                                             only when the run itself
//                                                     ended in an error
// A failed verdict or recovery is a <failure> whose message carries the
// measured value, the limit and the margin; an inconclusive, interrupted or
// harness-error run is an <error>; planned iterations that never ran are
// <skipped>. Properties carry the run id, seed, outcome and environment.
#pragma once

#include <string>
#include <vector>

#include "record/record.hpp"

namespace faultline {

/// One run as a complete JUnit XML document (<testsuites> with one <testsuite>).
std::string render_junit(const RunRecord& r);

/// Several runs (e.g. every scenario of one `faultline run`) as one document.
std::string render_junit(const std::vector<RunRecord>& runs);

}  // namespace faultline
