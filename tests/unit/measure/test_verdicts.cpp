// Concluding a run without running one: records built by hand (synthetic
// samples, steps, writes and reads), handed to conclude(), and every kind of
// verdict checked passing and failing, with the outcome and exit code that
// follow. No process, no clock (the samples are synthetic, as in
// report_fixtures.hpp).
#include <doctest/doctest.h>

#include <csignal>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "measure/verdicts.hpp"

using namespace faultline;

namespace {

/// [from, to): when a probe fails.
using Outage = std::pair<Nanos, Nanos>;

/// Samples every `interval` over [from, to), failing inside the outages.
ProbeSeries series(std::string name, Nanos interval, Nanos from, Nanos to, const std::vector<Outage>& outages) {
  ProbeSeries p;
  p.name = std::move(name);
  p.kind = ProbeKind::http;
  p.interval = interval;
  p.steady_state = true;
  for (Nanos t = from; t < to; t += interval) {
    bool ok = true;
    for (const auto& o : outages)
      if (o.first <= t && t < o.second) ok = false;
    p.samples.push_back({t, t + 2ms, ok, ok ? "" : "connection refused"});
  }
  return p;
}

/// One steady-state probe sampled every 100 ms over [0, 10 s), failing in
/// `outages`; one iteration whose fault was injected at 1 s.
RunRecord record_with(const std::vector<Outage>& outages) {
  RunRecord rec;
  rec.scenario.name = "verdicts";
  rec.scenario.recovered_after = RecoveredAfter{3, 0ns};
  rec.scenario.watch = 5s;
  rec.scenario.give_up_after = 8s;
  rec.probes = {series("http", 100ms, 0ms, 10s, outages)};
  return rec;
}

IterationWindow window() {
  IterationWindow w;
  w.index = 1;
  w.start = 0ms;
  w.inject_start = 1000ms;
  w.inject = 1000ms;
  w.observed_until = 10s;
  return w;
}

RunOutputs outputs() {
  RunOutputs out;
  out.windows = {window()};
  return out;
}

/// The verdicts of `threshold`, in order.
std::vector<Verdict> of(const RunRecord& rec, const std::string& threshold) {
  std::vector<Verdict> out;
  for (const auto& v : rec.verdicts)
    if (v.threshold == threshold) out.push_back(v);
  return out;
}

const Verdict& only(const RunRecord& rec, const std::string& threshold) {
  static std::vector<Verdict> keep;
  keep = of(rec, threshold);
  REQUIRE(keep.size() == 1);
  return keep[0];
}

StepOutcome step(const char* phase, const char* name, int iteration, bool ok, bool ran = true) {
  StepOutcome o;
  o.iteration = iteration;
  o.phase = phase;
  o.name = name;
  o.ok = ok;
  o.ran = ran;
  o.exit_code = ok ? 0 : 2;
  o.output = ok ? "fine" : "boom";
  return o;
}

std::vector<WriteOutcome> writes(std::uint64_t first, std::uint64_t last) {
  std::vector<WriteOutcome> out;
  for (std::uint64_t s = first; s <= last; ++s)
    out.push_back({s, Nanos(s * 100'000'000), Nanos(s * 100'000'000 + 1'000'000), true});
  return out;
}

}  // namespace

TEST_CASE("verdicts: every threshold kind passes within its limit; the run passes (exit 0)") {
  RunRecord rec = record_with({{1500ms, 2500ms}, {4000ms, 4500ms}});  // one relapse
  rec.scenario.thresholds.rto = 9s;
  rec.scenario.thresholds.ttd = 2s;
  rec.scenario.thresholds.mttr = 5s;
  rec.scenario.thresholds.max_recurrence = 1;
  rec.scenario.thresholds.min_availability = 50.0;
  conclude(rec, outputs());
  REQUIRE(rec.iterations.size() == 1);
  CHECK(rec.iterations[0].impact);
  CHECK(rec.iterations[0].relapses == 1);
  for (const char* t : {"rto", "ttd", "mttr", "max_recurrence", "min_availability"}) {
    INFO(t);
    CHECK(only(rec, t).passed);
  }
  CHECK(of(rec, "recovery").empty());  // rto is there
  CHECK(rec.outcome == Outcome::passed);
  CHECK(rec.exit_code == 0);
}

TEST_CASE("verdicts: every threshold kind fails beyond its limit; the run fails (exit 1)") {
  RunRecord rec = record_with({{1500ms, 2500ms}, {4000ms, 4500ms}});
  rec.scenario.thresholds.rto = 100ms;
  rec.scenario.thresholds.ttd = 100ms;
  rec.scenario.thresholds.mttr = 100ms;
  rec.scenario.thresholds.max_recurrence = 0;
  rec.scenario.thresholds.min_availability = 99.9;
  conclude(rec, outputs());
  for (const char* t : {"rto", "ttd", "mttr", "max_recurrence", "min_availability"}) {
    INFO(t);
    CHECK_FALSE(only(rec, t).passed);
  }
  CHECK(rec.outcome == Outcome::failed);
  CHECK(rec.exit_code == 1);
}

TEST_CASE("verdicts: without rto, an iteration that never recovered fails the run") {
  RunRecord absorbed = record_with({});
  conclude(absorbed, outputs());
  CHECK(only(absorbed, "recovery").passed);
  CHECK(only(absorbed, "recovery").measured == "1/1 iterations recovered");
  CHECK(absorbed.exit_code == 0);

  RunRecord down = record_with({{1500ms, 10s}});
  conclude(down, outputs());
  const Verdict& v = only(down, "recovery");
  CHECK_FALSE(v.passed);
  CHECK(v.detail == "not recovered in iteration(s) 1");
  CHECK(down.outcome == Outcome::failed);
  CHECK(down.exit_code == 1);

  RunRecord none = record_with({});
  conclude(none, RunOutputs{});  // no iteration measured: no recovery verdict, nothing judged
  CHECK(none.iterations.empty());
  CHECK(none.verdicts.empty());
}

TEST_CASE("verdicts: one runbook verdict per step, with its metrics beside TTR") {
  RunRecord rec = record_with({{1500ms, 2500ms}});
  rec.scenario.recovery.resize(3);
  rec.scenario.recovery[0].name = "restart";
  rec.scenario.recovery[1].name = "failover";
  rec.scenario.recovery[2].name = "page";
  StepOutcome restart = step("recovery", "restart", 1, true);
  restart.start = 1800ms;
  restart.end = 2000ms;
  StepOutcome failover = step("recovery", "failover", 1, false);
  failover.start = 2000ms;
  failover.end = 2100ms;
  StepOutcome page = step("recovery", "page", 1, false, false);  // not run: decided when the runbook stopped
  page.start = page.end = 2100ms;
  rec.steps = {restart, failover, page};
  conclude(rec, outputs());
  const auto vs = of(rec, "runbook");
  REQUIRE(vs.size() == 3);
  CHECK(vs[0].passed);
  CHECK(vs[0].measured == "1/1 runs succeeded");
  CHECK_FALSE(vs[1].passed);
  CHECK(vs[1].detail == "iteration 1: boom");
  CHECK(vs[2].passed);  // never ran: nothing failed, and the detail says so
  CHECK(vs[2].detail == "iteration 1: not run: boom");
  REQUIRE(rec.iterations[0].time_to_mitigate);
  CHECK(*rec.iterations[0].time_to_mitigate == 1800ms - *rec.iterations[0].t_fail);
  REQUIRE(rec.iterations[0].runbook_duration);
  CHECK(*rec.iterations[0].runbook_duration == 300ms);
  CHECK(rec.outcome == Outcome::failed);
}

TEST_CASE("verdicts: one verify verdict per step: passed, failed with its exit, never ran") {
  RunRecord rec = record_with({});
  rec.scenario.verify.resize(3);
  rec.scenario.verify[0].name = "data";
  rec.scenario.verify[1].name = "health";
  rec.scenario.verify[2].name = "late";
  StepOutcome timed_out = step("verify", "health", 2, false);
  timed_out.timed_out = true;
  rec.steps = {step("verify", "data", 1, true), step("verify", "health", 1, false), timed_out,
               step("setup", "late", 1, true)};
  conclude(rec, outputs());
  const auto vs = of(rec, "verify");
  REQUIRE(vs.size() == 3);
  CHECK(vs[0].passed);
  CHECK(vs[0].measured == "1/1 iterations passed");
  CHECK_FALSE(vs[1].passed);
  CHECK(vs[1].measured == "0/2 iterations passed");
  CHECK(vs[1].detail == "iteration 1: exit 2: boom");
  CHECK_FALSE(vs[2].passed);
  CHECK(vs[2].not_run);  // NOT RUN, not FAIL: nothing was judged
  CHECK(vs[2].measured == "not run");
  CHECK(vs[2].detail == "never ran (no iteration reached verify)");
  CHECK(std::string(verdict_result(vs[2])) == "NOT RUN");
  CHECK(std::string(verdict_result(vs[1])) == "FAIL");
  CHECK(rec.exit_code == 1);  // the failed step fails the run
}

TEST_CASE("verdicts: a verify no iteration reached is not run: interrupted stays interrupted, else inconclusive, never FAIL") {
  RunRecord rec = record_with({{1500ms, 2000ms}});
  rec.scenario.thresholds.rto = 5s;
  rec.scenario.verify.resize(1);
  rec.scenario.verify[0].name = "data";
  SUBCASE("interrupted before verify: the verify is NOT RUN, the run interrupted") {
    RunOutputs out = outputs();
    out.stop_signal = SIGINT;
    out.stop_signal_name = "SIGINT";
    conclude(rec, out);
    const Verdict& v = only(rec, "verify");
    CHECK(v.not_run);
    CHECK_FALSE(v.passed);
    CHECK_FALSE(v.inconclusive);
    CHECK(rec.outcome == Outcome::interrupted);
    CHECK(rec.exit_code == 130);
  }
  SUBCASE("every other verdict passed: inconclusive (exit 3), naming the check that never ran") {
    conclude(rec, outputs());
    CHECK(only(rec, "verify").not_run);
    CHECK(only(rec, "rto").passed);
    CHECK(rec.outcome == Outcome::inconclusive);
    CHECK(rec.exit_code == 3);
    CHECK(rec.error == "verify cannot be judged: never ran (no iteration reached verify)");
  }
  SUBCASE("it ran: judged as before") {
    rec.steps = {step("verify", "data", 1, true)};
    conclude(rec, outputs());
    CHECK_FALSE(only(rec, "verify").not_run);
    CHECK(rec.exit_code == 0);
  }
}

TEST_CASE("verdicts: an integrity check is a verdict of its own: the service came back but served damaged data fails the run") {
  RunRecord rec = record_with({{1500ms, 2000ms}});  // an outage that recovered: every recovery figure holds
  rec.scenario.thresholds.rto = 5s;
  rec.scenario.verify.resize(2);
  rec.scenario.verify[0].name = "rows intact";
  rec.scenario.verify[0].integrity = true;
  rec.scenario.verify[1].name = "accepts connections";
  SUBCASE("intact in every iteration: passes under its own name") {
    rec.steps = {step("verify", "rows intact", 1, true), step("verify", "accepts connections", 1, true)};
    conclude(rec, outputs());
    const Verdict& v = only(rec, "integrity");
    CHECK(v.scope == "rows intact");
    CHECK(v.passed);
    CHECK(v.measured == "1/1 iterations intact");
    CHECK(v.limit == "all iterations");
    CHECK(only(rec, "verify").scope == "accepts connections");
    CHECK(rec.exit_code == 0);
  }
  SUBCASE("damaged data: the integrity verdict fails, recovery and the other checks pass, exit 1") {
    rec.steps = {step("verify", "rows intact", 1, false), step("verify", "accepts connections", 1, true)};
    conclude(rec, outputs());
    const Verdict& v = only(rec, "integrity");
    CHECK_FALSE(v.passed);
    CHECK(v.measured == "0/1 iterations intact");
    CHECK(v.detail == "the data served was not intact in iteration 1: exit 2: boom");
    CHECK(only(rec, "rto").passed);
    CHECK(only(rec, "verify").passed);
    CHECK(rec.outcome == Outcome::failed);
    CHECK(rec.exit_code == 1);
  }
  SUBCASE("never ran: not run, as a verify step would be") {
    conclude(rec, outputs());
    CHECK_FALSE(only(rec, "integrity").passed);
    CHECK(only(rec, "integrity").not_run);
    CHECK(only(rec, "integrity").measured == "not run");
    CHECK(only(rec, "integrity").detail == "never ran (no iteration reached verify)");
  }
}

TEST_CASE("verdicts: data loss from the workloads' writes against their reads") {
  auto run_with = [](std::set<std::uint64_t> present, bool read_ok) {
    RunRecord rec = record_with({{1500ms, 2500ms}});
    rec.scenario.workloads.resize(1);
    rec.scenario.workloads[0].name = "kv";
    rec.scenario.thresholds.max_data_loss = 0;
    RunOutputs out = outputs();
    out.workload_runs = {WorkloadRun{0, 1, writes(1, 30), ReadOutcome{read_ok, read_ok ? "" : "exit 1", present}}};
    conclude(rec, out);
    return rec;
  };
  std::set<std::uint64_t> all;
  for (std::uint64_t s = 1; s <= 30; ++s) all.insert(s);
  RunRecord kept = run_with(all, true);
  REQUIRE(kept.workloads.size() == 1);
  CHECK(kept.workloads[0].lost == 0);
  CHECK(kept.workloads[0].fault_from == 1000ms);
  CHECK(only(kept, "max_data_loss").passed);
  CHECK(kept.exit_code == 0);

  std::set<std::uint64_t> some = all;
  some.erase(20);
  RunRecord lost = run_with(some, true);
  CHECK(lost.workloads[0].lost == 1);
  CHECK_FALSE(only(lost, "max_data_loss").passed);
  CHECK(lost.exit_code == 1);

  RunRecord unread = run_with({}, false);
  CHECK_FALSE(only(unread, "max_data_loss").passed);
  CHECK(only(unread, "max_data_loss").measured == "unknown");

  // A workload run of an iteration that was never measured is not accounted.
  RunRecord rec = record_with({});
  rec.scenario.workloads.resize(1);
  RunOutputs out = outputs();
  out.workload_runs = {WorkloadRun{0, 2, writes(1, 3), ReadOutcome{true, "", {1, 2, 3}}}};
  conclude(rec, out);
  CHECK(rec.workloads.empty());
}

TEST_CASE("verdicts: a guard's timeout the harness decided is counted apart, not as a failure") {
  // The run took no breach from it (run.cpp): the harness was stopped when
  // the timeout fell due, so the answer may have been waiting.
  RunRecord rec = record_with({});
  rec.scenario.guards.resize(1);
  rec.scenario.guards[0].name = "payments";
  rec.scenario.guards[0].interval = 1s;
  rec.scenario.guards[0].timeout = 1s;
  RunOutputs out = outputs();
  out.guard_series = {series("payments", 1s, 0ms, 5s, {})};
  out.guard_series[0].interval = 1s;
  Sample& late = out.guard_series[0].samples[2];  // 2 s to 4.5 s: decided long after its timeout
  late.end = 4500ms;
  late.ok = false;
  late.detail = "timeout after 1000.000 ms";
  conclude(rec, out);
  const auto vs = of(rec, "guard");
  REQUIRE(vs.size() == 1);
  CHECK(vs[0].passed);
  CHECK(vs[0].measured == "5 sample(s), 0 failed, 1 timed out while the harness was stalled (not evidence)");

  // The sample that breached was judged the system's during the run (the
  // stalls known then): it counts as failed whatever the final stalls say.
  RunRecord breached = record_with({});
  breached.scenario.guards = rec.scenario.guards;
  out.breach = GuardBreach{0, "guard 'payments' failed", 2s};
  conclude(breached, out);
  const auto bs = of(breached, "guard");
  REQUIRE(bs.size() == 1);
  CHECK_FALSE(bs[0].passed);
  CHECK(bs[0].measured == "5 sample(s), 1 failed");
}

TEST_CASE("verdicts: a guard passes when it never failed; the breached one fails the run") {
  RunRecord rec = record_with({});
  rec.scenario.guards.resize(2);
  rec.scenario.guards[0].name = "payments";
  rec.scenario.guards[1].name = "login";
  rec.outcome = Outcome::failed;  // the runner's verdict at the breach
  RunOutputs out = outputs();
  out.guard_series = {series("payments", 1s, 0ms, 5s, {}),
                      series("login", 1s, 0ms, 5s, {{3s, 4s}})};
  out.breach = GuardBreach{1, "guard 'login' failed", 3s};
  conclude(rec, out);
  const auto vs = of(rec, "guard");
  REQUIRE(vs.size() == 2);
  CHECK(vs[0].passed);
  CHECK(vs[0].measured == "5 sample(s), 0 failed");
  CHECK_FALSE(vs[1].passed);
  CHECK(vs[1].measured == "5 sample(s), 1 failed");
  CHECK(vs[1].detail == "guard 'login' failed");
  CHECK(rec.outcome == Outcome::failed);
  CHECK(rec.exit_code == 1);
}

TEST_CASE("verdicts: the regression gate against a baseline, passing and failing") {
  Baseline fast;
  fast.source = "fast.json";
  fast.record = record_with({{1500ms, 1700ms}});
  conclude(fast.record, outputs());
  Baseline slow;
  slow.source = "slow.json";
  slow.record = record_with({{1500ms, 6000ms}});
  conclude(slow.record, outputs());

  for (const Baseline* b : {&fast, &slow}) {
    RunRecord rec = record_with({{1500ms, 3500ms}});
    RunOutputs out = outputs();
    out.baseline = b;
    conclude(rec, out);
    const bool better = b == &slow;
    for (const char* t : {"regression.recovery_time_max", "regression.recovery_time_p95", "regression.mttr"}) {
      INFO(t, " against ", b->source);
      CHECK(only(rec, t).passed == better);
    }
    CHECK(rec.exit_code == (better ? 0 : 1));
  }
}

TEST_CASE("verdicts: the outcome: interrupted by a signal, or an earlier failure stands") {
  RunRecord sigint = record_with({});
  RunOutputs out = outputs();
  out.stop_signal = SIGINT;
  out.stop_signal_name = "SIGINT";
  conclude(sigint, out);
  CHECK(sigint.outcome == Outcome::interrupted);
  CHECK(sigint.error == "interrupted by SIGINT; every fault was reverted");
  CHECK(sigint.exit_code == 130);

  RunRecord sigterm = record_with({});
  out.stop_signal = SIGTERM;
  out.stop_signal_name = "SIGTERM";
  conclude(sigterm, out);
  CHECK(sigterm.exit_code == 143);

  RunRecord inconclusive = record_with({{1500ms, 10s}});  // its recovery verdict fails
  inconclusive.outcome = Outcome::inconclusive;
  conclude(inconclusive, outputs());
  CHECK_FALSE(only(inconclusive, "recovery").passed);
  CHECK(inconclusive.outcome == Outcome::inconclusive);
  CHECK(inconclusive.exit_code == 3);

  RunRecord harness = record_with({});
  harness.outcome = Outcome::harness_error;
  conclude(harness, RunOutputs{});
  CHECK(harness.exit_code == 4);
}

TEST_CASE("verdicts: a starved harness never passes as 'absorbed': the run is inconclusive (exit 3)") {
  // The SIGSTOP case of issue 15: the harness was stopped from 1.0 s to 6.0 s
  // during a real outage; the one sample that ran through it was recorded ok
  // after its 100 ms timeout. Nothing trustworthy saw the outage.
  RunRecord rec = record_with({});
  ProbeSpec spec;
  spec.name = "http";
  spec.interval = 100ms;
  spec.timeout = 100ms;
  rec.scenario.probes = {spec};
  rec.scenario.thresholds.rto = 2s;
  auto& samples = rec.probes[0].samples;
  std::erase_if(samples, [](const Sample& s) { return s.start > 1000ms && s.start < 6050ms; });
  for (auto& s : samples)
    if (s.start == 1000ms) s.end = 6050ms;
  rec.stalls = {HarnessStall{1010ms, 6040ms, ""}};
  conclude(rec, outputs());
  REQUIRE(rec.iterations.size() == 1);
  CHECK_FALSE(rec.iterations[0].impact);
  CHECK(rec.iterations[0].undetermined);
  CHECK(rec.iterations[0].harness_decided == 1);
  CHECK(rec.probes[0].samples[10].harness_decided);  // marked in the record
  CHECK(rec.outcome == Outcome::inconclusive);
  CHECK(rec.exit_code == 3);
  CHECK(rec.error.find("iteration 1: no trustworthy sample showed whether the fault had an impact") == 0);
  // Availability does not claim the stalled time either way.
  const Availability& a = rec.iterations[0].availability.back();
  CHECK(a.unknown >= 5000ms);
}
