#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include "async_support.hpp"
#include "measure/verdicts.hpp"
#include "run/runbook.hpp"

using namespace faultline;
using faultline::testing::run_sync;

namespace {

Sample sample(std::int64_t start_ms, bool ok) {
  return Sample{std::chrono::milliseconds(start_ms), std::chrono::milliseconds(start_ms + 1), ok, ""};
}

RecoverySpec step(std::string name, std::string line, RecoveryTrigger on = RecoveryTrigger::start, Nanos after = 0ns) {
  RecoverySpec st;
  st.name = std::move(name);
  st.command.argv = {"/bin/sh", "-c", std::move(line)};
  st.command.shell = true;
  st.on = on;
  st.after = after;
  st.timeout = 5s;
  return st;
}

StepOutcome outcome(int it, std::string name, Nanos start, Nanos end, bool ok, bool ran = true) {
  StepOutcome o;
  o.iteration = it;
  o.phase = "recovery";
  o.name = std::move(name);
  o.start = start;
  o.end = end;
  o.ok = ok;
  o.ran = ran;
  o.output = ok ? "" : "exit 127 (expected exit 0)";
  return o;
}

}  // namespace

TEST_CASE("runbook: observed impact is the first failing steady-state sample at or after the injection") {
  ProbeSeries a{"a", ProbeKind::tcp, 10ms, true, 0, {sample(0, false), sample(10, true), sample(20, true), sample(30, false), sample(40, false)}, {}, 0ns, 0ns, 0ns, 0, {}};
  ProbeSeries b{"b", ProbeKind::tcp, 10ms, true, 0, {sample(5, true), sample(25, false)}, {}, 0ns, 0ns, 0ns, 0, {}};
  ProbeSeries observed_only{"c", ProbeKind::tcp, 10ms, false, 0, {sample(15, false)}, {}, 0ns, 0ns, 0ns, 0, {}};
  CHECK(observed_impact({a, b, observed_only}, 10ms) == Nanos(25ms));
  CHECK(observed_impact({a}, 10ms) == Nanos(30ms));
  CHECK_FALSE(observed_impact({a}, 41ms).has_value());
  CHECK_FALSE(observed_impact({observed_only}, 0ms).has_value());
}

TEST_CASE("runbook: a step is due `after` past its trigger, not before the trigger is known") {
  auto d = step("x", "true", RecoveryTrigger::detect, 200ms);
  CHECK_FALSE(due_time(d, 1s, 1100ms, std::nullopt).has_value());
  CHECK(due_time(d, 1s, 1100ms, 1300ms) == Nanos(1500ms));
  auto i = step("x", "true", RecoveryTrigger::inject, 50ms);
  CHECK_FALSE(due_time(i, 1s, std::nullopt, std::nullopt).has_value());
  CHECK(due_time(i, 1s, 1100ms, std::nullopt) == Nanos(1150ms));
  auto s = step("x", "true", RecoveryTrigger::start, 3s);
  CHECK(due_time(s, 1s, std::nullopt, std::nullopt) == Nanos(4s));
  CHECK(trigger_text(d) == "detect + 200.000 ms");
  CHECK(trigger_text(step("x", "true", RecoveryTrigger::detect)) == "detect");
}

TEST_CASE("runbook: expectations of a finished step") {
  auto st = step("x", "true");
  std::string why;
  CHECK(recovery_step_passed(st, false, 0, "", why));
  CHECK_FALSE(recovery_step_passed(st, false, 1, "", why));
  CHECK(why == "exit 1 (expected exit 0)");
  CHECK_FALSE(recovery_step_passed(st, true, -9, "", why));
  CHECK(why.find("timed out") == 0);
  st.expect_stdout = "server promoted";
  CHECK_FALSE(recovery_step_passed(st, false, 0, "waiting...", why));
  CHECK(recovery_step_passed(st, false, 0, "waiting for server to promote.... done\nserver promoted\n", why));
}

TEST_CASE("runbook: time to mitigate and runbook duration come from the steps that ran") {
  IterationMetrics m;
  m.index = 2;
  m.t_fail = 1000ms;
  std::vector<StepOutcome> steps = {outcome(1, "a", 100ms, 200ms, true), outcome(2, "a", 1150ms, 1400ms, true),
                                    outcome(2, "b", 1400ms, 1900ms, true), outcome(2, "c", 1900ms, 1900ms, true, false)};
  runbook_metrics(m, steps);
  CHECK(m.time_to_mitigate == Nanos(150ms));
  CHECK(m.runbook_duration == Nanos(750ms));
  IterationMetrics none;
  none.index = 3;
  runbook_metrics(none, steps);
  CHECK_FALSE(none.time_to_mitigate.has_value());
  CHECK_FALSE(none.runbook_duration.has_value());
}

TEST_CASE("runbook: one verdict per step, failing when a run of it failed") {
  Scenario s;
  s.recovery = {step("promote", "true"), step("repoint", "true"), step("never", "true")};
  std::vector<StepOutcome> steps = {outcome(1, "promote", 0ms, 1ms, true), outcome(2, "promote", 0ms, 1ms, false),
                                    outcome(1, "repoint", 0ms, 1ms, true), outcome(1, "never", 0ms, 0ms, true, false)};
  auto vs = runbook_verdicts(s, steps);
  REQUIRE(vs.size() == 3);
  CHECK(vs[0].threshold == "runbook");
  CHECK(vs[0].scope == "promote");
  CHECK_FALSE(vs[0].passed);
  CHECK(vs[0].measured == "1/2 runs succeeded");
  CHECK(vs[0].detail.find("iteration 2") == 0);
  CHECK(vs[1].passed);
  CHECK(vs[2].passed);
  CHECK(vs[2].measured == "0/0 runs succeeded");
}

TEST_CASE("runbook: steps run in order after their triggers; a failed step stops the runbook") {
  asio::io_context io;
  RunClock clock;
  StopSource stop;
  std::vector<StepOutcome> seen;
  RunbookContext ctx;
  ctx.ex = io.get_executor();
  ctx.clock = &clock;
  ctx.stop = &stop;
  ctx.iteration = 1;
  ctx.iteration_start = clock.now();
  ctx.poll = 5ms;
  const Nanos detect_at = clock.now() + 100ms;
  // Detection "happens" 100 ms in: the trigger function says so once it is past.
  ctx.t_inject = [&]() -> std::optional<Nanos> { return ctx.iteration_start; };
  ctx.t_detect = [&]() -> std::optional<Nanos> {
    return clock.now() >= detect_at ? std::optional(detect_at) : std::nullopt;
  };
  ctx.observation_over = [] { return false; };
  ctx.on_step = [&](const StepOutcome& o) { seen.push_back(o); };
  const std::vector<RecoverySpec> steps = {step("first", "echo one", RecoveryTrigger::detect, 50ms),
                                           step("broken", "exit 3", RecoveryTrigger::inject),
                                           step("after broken", "true", RecoveryTrigger::start)};
  run_sync(io, run_runbook(steps, ctx));
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].ok);
  CHECK(seen[0].ran);
  CHECK(seen[0].start >= detect_at + 50ms);
  CHECK(seen[0].output == "one\n");
  CHECK(seen[0].trigger == "detect + 50.000 ms");
  CHECK_FALSE(seen[1].ok);
  CHECK(seen[1].exit_code == 3);
  // Triggered by the injection long before, it still waited for the step before it.
  CHECK(seen[1].start >= seen[0].end);
  CHECK(seen[1].output.find("exit 3 (expected exit 0)") == 0);
  CHECK_FALSE(seen[2].ran);
  CHECK(seen[2].output == "skipped: step 'broken' failed");
}

TEST_CASE("runbook: a detect step that is never triggered is recorded as not run once observation is over") {
  asio::io_context io;
  RunClock clock;
  StopSource stop;
  std::vector<StepOutcome> seen;
  const Nanos over_at = clock.now() + 30ms;
  RunbookContext ctx;
  ctx.ex = io.get_executor();
  ctx.clock = &clock;
  ctx.stop = &stop;
  ctx.poll = 5ms;
  ctx.t_inject = [] { return std::optional<Nanos>(0ns); };
  ctx.t_detect = [] { return std::optional<Nanos>(); };
  ctx.observation_over = [&] { return clock.now() >= over_at; };
  ctx.on_step = [&](const StepOutcome& o) { seen.push_back(o); };
  run_sync(io, run_runbook({step("promote", "true", RecoveryTrigger::detect)}, ctx));
  REQUIRE(seen.size() == 1);
  CHECK_FALSE(seen[0].ran);
  CHECK(seen[0].ok);
  CHECK(seen[0].output == "not triggered: no impact was detected");
  CHECK(seen[0].start >= over_at);
}

TEST_CASE("runbook: a stop request kills a running step at once") {
  asio::io_context io;
  RunClock clock;
  StopSource stop;
  std::vector<StepOutcome> seen;
  RunbookContext ctx;
  ctx.ex = io.get_executor();
  ctx.clock = &clock;
  ctx.stop = &stop;
  ctx.poll = 5ms;
  ctx.t_inject = [] { return std::optional<Nanos>(0ns); };
  ctx.t_detect = [] { return std::optional<Nanos>(); };
  ctx.observation_over = [] { return false; };
  ctx.on_step = [&](const StepOutcome& o) { seen.push_back(o); };
  asio::steady_timer t(io);
  t.expires_after(100ms);
  t.async_wait([&](const boost::system::error_code&) { stop.request(SIGINT); });
  const Nanos before = clock.now();
  run_sync(io, run_runbook({step("slow", "sleep 20", RecoveryTrigger::start)}, ctx));
  REQUIRE(seen.size() == 1);
  CHECK_FALSE(seen[0].ok);
  CHECK(seen[0].output == "stopped: the run was interrupted");
  // The 20 s command was killed: far sooner than its own end, and its 5 s timeout.
  CHECK(clock.now() - before < 4s);
}
