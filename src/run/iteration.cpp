// One iteration of a run (phase 4 of runner.cpp): the steady-state gate,
// the setup commands, the fault timeline with the workloads writing and the
// runbook beside it, the observation until the iteration is settled, the
// workloads' reads, the verify commands and the cool-down.
#include "run/run.hpp"

#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <fmt/format.h>

#include "os/subprocess.hpp"
#include "run/runbook.hpp"
#include "run/workload.hpp"
#include "scenario/placeholders.hpp"
#include "scenario/text_match.hpp"

namespace faultline {

using namespace asio::experimental::awaitable_operators;

namespace {

std::string tail_lines(const std::string& s, std::size_t max_chars = 2000) {
  return s.size() <= max_chars ? s : "..." + s.substr(s.size() - max_chars);
}

/// Does a completed command meet a step's expectations?
bool step_passed(const StepSpec& st, const CommandResult& r, std::string& why) {
  if (!r.start_error.empty()) {
    why = "could not start: " + r.start_error;
    return false;
  }
  if (r.timed_out) {
    why = "timed out after " + format_duration(st.timeout);
    return false;
  }
  if (r.status.signal != 0 || r.status.code != st.expect_exit) {
    why = fmt::format("{} (expected exit {})", r.status.describe(), st.expect_exit);
    return false;
  }
  if (st.expect_stdout && r.out.find(*st.expect_stdout) == std::string::npos) {
    why = fmt::format("stdout does not contain '{}'", *st.expect_stdout);
    return false;
  }
  if (st.expect_stdout_regex) {
    if (auto mismatch = regex_mismatch("stdout", r.out, *st.expect_stdout_regex)) {
      why = *mismatch;
      return false;
    }
  }
  return true;
}

/// When every steady-state probe has been ok without interruption: the start
/// of the earliest sample of the trailing run of ok samples, taken over all
/// probes (the latest such start). nullopt while any is failing or has not
/// reported yet. A scenario without steady-state probes is always healthy.
std::optional<Nanos> healthy_since(const std::vector<ProbeSeries>& series) {
  Nanos since{0};
  for (const auto& p : series) {
    if (!p.steady_state) continue;
    if (p.samples.empty() || !p.samples.back().ok) return std::nullopt;
    auto it = p.samples.end();
    while (it != p.samples.begin() && std::prev(it)->ok) --it;
    since = std::max(since, it->start);
  }
  return since;
}

}  // namespace

asio::awaitable<void> Run::iteration(int it) {
  const std::string tag = iteration_tag(it);
  // a. Steady-state gate.
  phase(it, "steady-state gate", clock_.now() + s_.steady_timeout, "gives up");
  co_await steady_state_gate(tag);
  if (stop_.requested()) co_return;
  // b. Setup commands, before the clock of the iteration starts.
  co_await run_steps("setup", s_.setup, it);
  if (stop_.requested()) co_return;
  // c. The fault timeline, with the workloads writing from the iteration
  // start (so that writes acknowledged before the fault are at stake) and
  // the runbook beside it: detection can come while faults are still held.
  IterationWindow w;
  w.index = it;
  w.start = clock_.now();
  scheduler_->cut(w.start);
  std::vector<std::unique_ptr<WorkloadWriter>> writers;
  for (const auto& spec : s_.workloads) {
    writers.push_back(std::make_unique<WorkloadWriter>(io_.get_executor(), clock_, spec, it, next_seq_));
    writers.back()->start(w.start);
  }
  bool observed = false;
  if (runbook_of(it).empty())
    co_await timeline(it, w, tag, observed);
  else
    co_await (timeline(it, w, tag, observed) && runbook(it, w, observed));
  // d. (end) The workloads stop, then say which acknowledged writes survived.
  for (std::size_t i = 0; i < writers.size(); ++i) {
    co_await writers[i]->stop();
    if (stop_.requested()) continue;
    WorkloadRun run{i, it, writers[i]->writes(), {}};
    run.read = co_await read_workload(io_.get_executor(), s_.workloads[i], it);
    log(fmt::format("workload '{}': {} write(s), {} acknowledged{}", s_.workloads[i].name, run.writes.size(),
                    std::count_if(run.writes.begin(), run.writes.end(), [](const WriteOutcome& x) { return x.acknowledged; }),
                    run.read.ok ? "" : "; read failed: " + run.read.error));
    workload_runs_.push_back(std::move(run));
  }
  if (stop_.requested()) co_return;
  // e. Verify: only meaningful once the system is back (or given up on).
  co_await run_steps("verify", verify_of(it), it);
  // f. Cool down, so the next gate does not measure this iteration's tail.
  if (it < iteration_count() && s_.cool_down.count() > 0) {
    phase(it, "cool-down", clock_.now() + s_.cool_down, "ends");
    co_await stop_.sleep_for(s_.cool_down);
  }
}

asio::awaitable<void> Run::timeline(int it, IterationWindow& w, const std::string& tag, bool& observed) {
  struct Done {
    bool& flag;
    ~Done() { flag = true; }
  } done{observed};
  co_await apply_faults(it, w);
  if (stop_.requested()) co_return;
  phase(it, "observing recovery", w.inject + s_.give_up_after, "deadline");
  co_await observe(w, tag);
  windows_.push_back(w);
}

const FaultEvent* Run::first_injection(int it) const {
  for (const auto& ev : rec_.faults)
    if (ev.iteration == it && ev.inject_end && ev.injection) return &ev;
  return nullptr;
}

asio::awaitable<void> Run::runbook(int it, const IterationWindow& w, const bool& observed) {
  RunbookContext ctx;
  ctx.ex = io_.get_executor();
  ctx.clock = &clock_;
  ctx.stop = &stop_;
  ctx.iteration = it;
  ctx.iteration_start = w.start;
  ctx.poll = poll_interval();
  ctx.t_inject = [this, it]() -> std::optional<Nanos> {
    const FaultEvent* ev = first_injection(it);
    return ev ? ev->inject_end : std::nullopt;
  };
  ctx.t_detect = [this, it]() -> std::optional<Nanos> {
    const FaultEvent* ev = first_injection(it);
    return ev ? observed_impact(scheduler_->series(), ev->inject_start) : std::nullopt;
  };
  ctx.observation_over = [&observed] { return observed; };
  ctx.on_step = [this, it](const StepOutcome& o) {
    rec_.steps.push_back(o);
    if (!o.ran)
      log(fmt::format("recovery '{}' {}", o.name, o.output));
    else if (o.ok)
      log(fmt::format("recovery '{}' ok ({}, triggered by {})", o.name, format_ms(o.end - o.start), o.trigger));
    else
      warn(fmt::format("iteration {}: recovery '{}' failed: {}", it, o.name, o.output));
  };
  try {
    co_await run_runbook(runbook_of(it), std::move(ctx));
  } catch (const std::exception& e) {
    warn(fmt::format("iteration {}: the runbook stopped: {}", it, e.what()));
  }
}

asio::awaitable<void> Run::steady_state_gate(const std::string& tag) {
  const Nanos deadline = clock_.now() + s_.steady_timeout;
  for (;;) {
    const Nanos now = clock_.now();
    auto since = healthy_since(scheduler_->series());
    if (since && now - *since >= s_.steady_for) {
      log(fmt::format("{}: steady state held for {}", tag, format_duration(s_.steady_for)));
      co_return;
    }
    if (now >= deadline) throw Inconclusive(fmt::format("{}: steady state not met: {}", tag, unhealthy_detail()));
    if (!co_await stop_.sleep_for(poll_interval())) co_return;
  }
}

std::string Run::unhealthy_detail() const {
  std::string out;
  for (const auto& p : scheduler_->series()) {
    if (!p.steady_state) continue;
    std::string state = p.samples.empty() ? "no sample yet"
                        : p.samples.back().ok ? std::string("ok")
                                              : "failing: " + p.samples.back().detail;
    if (state == "ok") continue;
    out += fmt::format("{}probe '{}' {}", out.empty() ? "" : "; ", p.name, state);
  }
  return out.empty() ? fmt::format("probes not healthy for {} within {}", format_duration(s_.steady_for),
                                   format_duration(s_.steady_timeout))
                     : out;
}

Nanos Run::poll_interval() const {
  Nanos p = 100ms;
  for (const auto& pr : s_.probes)
    if (pr.steady_state) p = std::min(p, pr.interval);
  return std::max<Nanos>(p, 1ms);
}

asio::awaitable<void> Run::run_steps(const char* phase, const std::vector<StepSpec>& steps, int it) {
  for (const auto& st : steps) {
    if (stop_.requested()) co_return;
    this->phase(it, fmt::format("{} '{}'", phase, st.name), clock_.now() + st.timeout, "times out");
    SpawnOptions opts;
    const Bindings b{{"iteration", std::to_string(it)}};
    for (const auto& a : st.command.argv) opts.argv.push_back(substitute(a, b));
    opts.argv = in_netns(st.netns, std::move(opts.argv));
    StepOutcome out;
    out.iteration = it;
    out.phase = phase;
    out.name = st.name;
    out.integrity = st.integrity;
    out.start = clock_.now();
    CommandResult r = co_await run_command(io_.get_executor(), opts, st.timeout);
    out.end = clock_.now();
    out.exit_code = r.status.signal ? -r.status.signal : r.status.code;
    out.timed_out = r.timed_out;
    out.output = tail_lines(r.out + r.err);
    // Expectations may name the iteration too ("before-kill-{iteration}").
    StepSpec expect = st;
    if (expect.expect_stdout) expect.expect_stdout = substitute(*expect.expect_stdout, b);
    if (expect.expect_stdout_regex) expect.expect_stdout_regex = substitute(*expect.expect_stdout_regex, b);
    std::string why;
    out.ok = step_passed(expect, r, why);
    rec_.steps.push_back(out);
    if (out.ok) {
      log(fmt::format("{} '{}' ok ({})", phase, st.name, format_ms(out.end - out.start)));
    } else {
      const std::string msg = fmt::format("iteration {}: {} '{}' failed: {}", it, phase, st.name, why);
      if (std::string_view(phase) == "setup") throw Inconclusive(msg);
      warn(msg);
    }
  }
}

asio::awaitable<void> Run::observe(IterationWindow& w, const std::string& tag) {
  for (;;) {
    const Nanos now = clock_.now();
    w.observed_until = now;
    if (observation_complete(scheduler_->series(), w, params_, now)) break;
    if (!co_await stop_.sleep_for(poll_interval())) co_return;
  }
  scheduler_->cut(w.observed_until + Nanos{1});  // samples started after it are not this iteration's
  const auto m = measure_iteration(scheduler_->series(), w, params_);
  // Whether "no impact" is absorption is the conclusion's to say: samples
  // the harness decided and its stalls are judged there (measure/evidence.hpp).
  if (!m.impact)
    log(fmt::format("{}: no failing sample seen", tag));
  else if (m.recovered)
    log(fmt::format("{}: impact after {}, recovered {} after injection{}", tag, format_ms(*m.ttd),
                    format_ms(*m.recovery_time), m.relapses ? fmt::format(", {} relapse(s)", m.relapses) : ""));
  else
    log(fmt::format("{}: impact after {}, NOT recovered within {}", tag, format_ms(*m.ttd),
                    format_duration(s_.give_up_after)));
}

}  // namespace faultline
