// Concluding a run: every verdict and the outcome, from the record and what
// the run's phases handed over, and nothing else. The runner records samples,
// steps, fault events, writes and reads while the run goes on; once it is
// over, conclude() measures the iterations (measurement.hpp), judges the
// thresholds, the runbook, the [[verify]] steps, data loss, the guards and
// the regression gate, and decides the outcome and the exit code. A pure
// function (no process, no clock, no I/O), so that "why did this run fail?"
// has one home and a unit test can answer it with a record built by hand.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "measure/data_loss.hpp"
#include "measure/measurement.hpp"
#include "measure/regression.hpp"
#include "record/record.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// One workload's writes and read in one iteration.
struct WorkloadRun {
  std::size_t workload = 0;  ///< index into Scenario::workloads
  int iteration = 0;
  std::vector<WriteOutcome> writes;
  ReadOutcome read;
};

/// The first failed sample of a [[guard]]: which guard, and why the run was aborted.
struct GuardBreach {
  std::size_t guard = 0;  ///< index into Scenario::guards
  std::string why;
  Nanos sample_start{0};  ///< the start of the failed sample that breached
};

/// What a run's phases hand to its conclusion, beside the record.
struct RunOutputs {
  std::vector<IterationWindow> windows;     ///< one per iteration that injected
  std::vector<WorkloadRun> workload_runs;   ///< one per workload and iteration that read
  std::vector<ProbeSeries> guard_series;    ///< the [[guard]] samples, one series per guard
  std::optional<GuardBreach> breach;        ///< the first failed guard, if any
  int stop_signal = 0;                      ///< the signal that interrupted the run; 0: none
  std::string stop_signal_name;             ///< its name ("SIGTERM"), for the record's error
  const Baseline* baseline = nullptr;       ///< --baseline: adds the regression verdicts
};

/// Concludes a run: fills `rec.iterations`, `rec.statistics`, `rec.workloads`
/// and `rec.verdicts` (thresholds, recovery, verify, runbook, data loss,
/// guards, regression, in that order) from `rec.probes`, `rec.steps` and
/// `out`, then `rec.outcome`, `rec.error` and `rec.exit_code`: interrupted
/// by a signal (130 for SIGINT, else 143); otherwise a run that was passing
/// fails when any verdict failed, and an earlier outcome (inconclusive, a
/// harness error, a guard's failure) stands.
void conclude(RunRecord& rec, const RunOutputs& out);

/// Without an `rto` threshold, a system that never came back must still fail
/// the run (docs/design.md section 3: not recovered fails the iteration): this
/// verdict says whether every iteration recovered before `give_up_after`.
std::optional<Verdict> recovery_verdict(const Scenario& s, const std::vector<IterationMetrics>& its);

/// Why the run cannot pass: the iterations whose absorption no trustworthy
/// sample showed (IterationMetrics::undetermined); none when every one was seen.
std::optional<std::string> undetermined(const std::vector<IterationMetrics>& iterations);

/// Verdicts for [[verify]] steps: one per step, failing when any iteration's
/// run of it failed; named "verify", or "integrity" for a step with
/// `integrity = true` (the data served was damaged: a failure of its own).
std::vector<Verdict> verify_verdicts(const Scenario& s, const std::vector<StepOutcome>& steps);

/// Fills `m.time_to_mitigate` (t_fail to the first step's start) and
/// `m.runbook_duration` (first step's start to the last step's end) from the
/// recovery steps of iteration `m.index` that ran.
void runbook_metrics(IterationMetrics& m, const std::vector<StepOutcome>& steps);

/// One "runbook" verdict per [[recovery]] step: failing when any run of it
/// failed; a step that never ran in any iteration passes with that said.
std::vector<Verdict> runbook_verdicts(const Scenario& s, const std::vector<StepOutcome>& steps);

/// One "guard" verdict per [[guard]]: passed when it never failed (`breach`
/// names the one that aborted the run). `series` holds one per guard; its
/// failed samples marked harness_decided are counted apart, not as failures.
std::vector<Verdict> guard_verdicts(const Scenario& s, const std::vector<ProbeSeries>& series,
                                    const std::optional<GuardBreach>& breach);

/// The data loss of each workload run: its writes against its read, the
/// fault window being the one probe latency uses (to the recovery, or to the
/// end of observation when there was none). Runs of an iteration that was
/// not measured are left out.
std::vector<WorkloadResult> account_workloads(const Scenario& s, const std::vector<IterationMetrics>& iterations,
                                              const std::vector<WorkloadRun>& runs);

}  // namespace faultline
