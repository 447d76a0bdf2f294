#include "measure/verdicts.hpp"

#include "measure/evidence.hpp"
#include "measure/strategy_compare.hpp"
#include "measure/strategy_verdicts.hpp"

#include <algorithm>
#include <csignal>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <string_view>

namespace faultline {

namespace {

/// The runs of one step (by phase and name) over every iteration: how many
/// ran and passed, the first that failed and the first that did not run.
struct StepRuns {
  int ran = 0;
  int ok = 0;
  const StepOutcome* failed = nullptr;
  const StepOutcome* not_run = nullptr;
};

StepRuns step_runs(const std::vector<StepOutcome>& steps, std::string_view phase, const std::string& name) {
  StepRuns r;
  for (const auto& o : steps) {
    if (o.phase != phase || o.name != name) continue;
    if (!o.ran) {
      if (!r.not_run) r.not_run = &o;
      continue;
    }
    ++r.ran;
    if (o.ok) ++r.ok;
    else if (!r.failed) r.failed = &o;
  }
  return r;
}

/// One verdict per step of `specs` (the [[verify]] or [[recovery]] steps,
/// whose outcomes are in `phase`), named `threshold` and scoped by the
/// step's name; `judge` fills in the rest from the step's runs.
template <class Specs, class Judge>
std::vector<Verdict> per_step(const Specs& specs, const std::vector<StepOutcome>& steps, std::string_view phase,
                              const char* threshold, Judge judge) {
  std::vector<Verdict> out;
  for (const auto& st : specs) {
    Verdict v;
    v.threshold = threshold;
    v.scope = st.name;
    judge(v, step_runs(steps, phase, st.name));
    out.push_back(std::move(v));
  }
  return out;
}

template <class T>
void append(std::vector<T>& to, std::vector<T>&& more) {
  for (auto& v : more) to.push_back(std::move(v));
}

}  // namespace

std::optional<Verdict> recovery_verdict(const Scenario& s, const std::vector<IterationMetrics>& its) {
  if (s.thresholds.rto || its.empty()) return std::nullopt;
  Verdict v;
  v.threshold = "recovery";
  v.scope = "run";
  std::string missed;
  int recovered = 0;
  for (const auto& m : its) {
    if (m.recovered) ++recovered;
    else missed += (missed.empty() ? "" : ", ") + std::to_string(m.index);
  }
  v.passed = missed.empty();
  v.measured = fmt::format("{}/{} iterations recovered", recovered, its.size());
  v.limit = "within " + format_ms(s.give_up_after);
  if (!v.passed) v.detail = "not recovered in iteration(s) " + missed;
  return v;
}

std::vector<Verdict> verify_verdicts(const Scenario& s, const std::vector<StepOutcome>& steps) {
  std::vector<Verdict> out = per_step(s.verify, steps, "verify", "verify", [](Verdict& v, const StepRuns& r) {
    if (const StepOutcome* o = r.failed)
      v.detail = fmt::format("iteration {}: {}", o->iteration,
                             o->timed_out ? "timed out" : fmt::format("exit {}: {}", o->exit_code, o->output));
    v.passed = r.ran > 0 && r.ok == r.ran;
    v.measured = fmt::format("{}/{} iterations passed", r.ok, r.ran);
    v.limit = "all iterations";
    if (r.ran == 0) {  // nothing to judge (the run was stopped first): not a failure of the step
      v.not_run = true;
      v.measured = "not run";
      v.detail = "never ran (no iteration reached verify)";
    }
  });
  // An integrity check is a verdict of its own kind: the service came back
  // but served damaged data is not a failed dependency check.
  for (std::size_t i = 0; i < out.size() && i < s.verify.size(); ++i) {
    if (!s.verify[i].integrity) continue;
    Verdict& v = out[i];
    v.threshold = "integrity";
    if (!v.not_run) v.measured = v.measured.substr(0, v.measured.find(' ')) + " iterations intact";  // "2/3 iterations intact"
    if (!v.passed && v.detail.rfind("iteration ", 0) == 0)
      v.detail = "the data served was not intact in " + v.detail;
  }
  return out;
}

void runbook_metrics(IterationMetrics& m, const std::vector<StepOutcome>& steps) {
  std::optional<Nanos> first_start, last_end;
  for (const auto& o : steps) {
    if (o.phase != "recovery" || o.iteration != m.index || !o.ran) continue;
    if (!first_start || o.start < *first_start) first_start = o.start;
    if (!last_end || o.end > *last_end) last_end = o.end;
  }
  if (!first_start) return;
  m.runbook_duration = *last_end - *first_start;
  if (m.t_fail) m.time_to_mitigate = *first_start - *m.t_fail;
}

std::vector<Verdict> runbook_verdicts(const Scenario& s, const std::vector<StepOutcome>& steps) {
  return per_step(s.recovery, steps, "recovery", "runbook", [](Verdict& v, const StepRuns& r) {
    v.passed = r.ok == r.ran;
    v.measured = fmt::format("{}/{} runs succeeded", r.ok, r.ran);
    v.limit = "every run";
    if (r.failed) v.detail = fmt::format("iteration {}: {}", r.failed->iteration, r.failed->output);
    else if (r.not_run) v.detail = fmt::format("iteration {}: not run: {}", r.not_run->iteration, r.not_run->output);
  });
}

std::vector<Verdict> guard_verdicts(const Scenario& s, const std::vector<ProbeSeries>& series,
                                    const std::optional<GuardBreach>& breach) {
  std::vector<Verdict> out;
  for (std::size_t i = 0; i < series.size() && i < s.guards.size(); ++i) {
    // A failure the harness decided is no breach (evidence.hpp). The one
    // that breached was judged the system's while the run went on, with the
    // stalls known then; the record's final list may mark it (a stall of the
    // guard's own thread, known once the thread ended): it still counts.
    const bool breached = breach && breach->guard == i;
    std::size_t failed = 0, decided = 0;
    for (const auto& smp : series[i].samples)
      if (!smp.ok)
        (smp.harness_decided && !(breached && smp.start == breach->sample_start) ? decided : failed) += 1;
    for (const auto& f : series[i].folds)  // folded samples have the outcome of the one before them
      failed += series[i].samples[f.after].ok ? 0 : static_cast<std::size_t>(f.count);
    Verdict v;
    v.threshold = "guard";
    v.scope = s.guards[i].name;
    v.passed = !breached;
    v.measured = fmt::format("{} sample(s), {} failed", sample_count(series[i]), failed);
    if (decided > 0) v.measured += fmt::format(", {} timed out while the harness was stalled (not evidence)", decided);
    v.limit = "never fails";
    if (!v.passed) v.detail = breach->why;
    out.push_back(v);
  }
  return out;
}

std::vector<WorkloadResult> account_workloads(const Scenario& s, const std::vector<IterationMetrics>& iterations,
                                              const std::vector<WorkloadRun>& runs) {
  std::vector<WorkloadResult> out;
  for (const auto& wr : runs) {
    auto m = std::find_if(iterations.begin(), iterations.end(),
                          [&](const IterationMetrics& x) { return x.index == wr.iteration; });
    if (m == iterations.end()) continue;
    const Nanos fault_end =
        m->revert ? *m->revert : m->t_recover ? *m->t_recover : m->recovered ? m->inject : m->observed_until;
    out.push_back(account_writes(s.workloads[wr.workload].name, wr.iteration, wr.writes, wr.read, m->inject_start,
                                 std::max(fault_end, m->inject_start)));
  }
  return out;
}

std::optional<std::string> undetermined(const std::vector<IterationMetrics>& iterations) {
  std::vector<int> which;
  std::uint64_t decided = 0;
  for (const auto& m : iterations)
    if (m.undetermined) {
      which.push_back(m.index);
      decided += m.harness_decided;
    }
  if (which.empty()) return std::nullopt;
  return fmt::format(
      "iteration{} {}: no trustworthy sample showed whether the fault had an impact (the harness was stalled, or "
      "decided {} sample(s) itself); the fault is not reported as absorbed",
      which.size() > 1 ? "s" : "", fmt::join(which, ", "), decided);
}

void conclude(RunRecord& rec, const RunOutputs& out) {
  const Scenario& s = rec.scenario;
  const MeasureParams params{s.recovered_after, s.watch, s.give_up_after, rec.stalls};
  // Samples the harness decided are marked in the record before anything is
  // measured from them (evidence.hpp).
  mark_harness_decided(rec.probes, s.probes, rec.stalls);
  for (const auto& w : out.windows) rec.iterations.push_back(measure_iteration(rec.probes, w, params));
  rec.statistics = summarize(rec.iterations);
  if (!rec.iterations.empty()) rec.verdicts = judge(s.thresholds, rec.iterations, rec.statistics, params);
  if (auto v = recovery_verdict(s, rec.iterations)) rec.verdicts.push_back(std::move(*v));
  append(rec.verdicts, verify_verdicts(s, rec.steps));
  // The runbook: its metrics beside TTR, and a verdict per step.
  for (auto& m : rec.iterations) runbook_metrics(m, rec.steps);
  append(rec.verdicts, runbook_verdicts(s, rec.steps));
  append(rec.workloads, account_workloads(s, rec.iterations, out.workload_runs));
  append(rec.verdicts, data_loss_verdicts(s.thresholds, rec.workloads));
  {
    // The guards' samples the harness decided are marked too (their
    // timeouts fell due while it was stalled): no breach was taken from
    // them (run.cpp), and the verdict does not count them as failures.
    std::vector<ProbeSeries> guards = out.guard_series;
    mark_harness_decided(guards, s.guards, rec.stalls);
    append(rec.verdicts, guard_verdicts(s, guards, out.breach));
  }
  if (out.baseline) append(rec.verdicts, regression_verdicts(rec, *out.baseline));
  // Issue 17: each strategy judged on its own iterations, then compared.
  append(rec.verdicts, strategy_verdicts(rec, params));
  rec.comparison = compare_record(rec);

  if (out.stop_signal != 0) {
    rec.outcome = Outcome::interrupted;
    rec.error = fmt::format("interrupted by {}; every fault was reverted", out.stop_signal_name);
  } else if (rec.outcome == Outcome::passed) {
    const bool any_failed = std::any_of(rec.verdicts.begin(), rec.verdicts.end(),
                                        [](const Verdict& v) { return !v.passed && !v.inconclusive && !v.not_run; });
    // A lower bound within the limit, or a check that never ran: not a pass.
    const auto undecided = std::find_if(rec.verdicts.begin(), rec.verdicts.end(),
                                        [](const Verdict& v) { return v.inconclusive || v.not_run; });
    if (any_failed) {
      rec.outcome = Outcome::failed;
    } else if (undecided != rec.verdicts.end()) {
      // A lower bound within the limit: neither a pass nor a failure.
      rec.outcome = Outcome::inconclusive;
      rec.error = fmt::format("{} cannot be judged: {}", undecided->threshold, undecided->detail);
    } else if (auto why = undetermined(rec.iterations)) {
      // Passing on samples the harness decided would be a figure nobody saw.
      rec.outcome = Outcome::inconclusive;
      rec.error = *why;
    }
  }
  rec.exit_code = exit_code_for(rec.outcome, out.stop_signal != SIGINT);  // SIGTERM and SIGHUP: 143
}

}  // namespace faultline
