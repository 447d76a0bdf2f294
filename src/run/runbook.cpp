#include "run/runbook.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

#include "os/netns.hpp"
#include "os/subprocess.hpp"

namespace faultline {

using namespace asio::experimental::awaitable_operators;

std::optional<Nanos> observed_impact(const std::vector<ProbeSeries>& series, Nanos inject_start) {
  std::optional<Nanos> first;
  for (const auto& p : series) {
    if (!p.steady_state) continue;
    // Samples are in start order: search from the end back to inject_start.
    for (auto it = p.samples.rbegin(); it != p.samples.rend() && it->start >= inject_start; ++it)
      if (!it->ok && (!first || it->start < *first)) first = it->start;
  }
  return first;
}

std::optional<Nanos> due_time(const RecoverySpec& step, Nanos iteration_start, std::optional<Nanos> t_inject,
                              std::optional<Nanos> t_detect) {
  switch (step.on) {
    case RecoveryTrigger::start: return iteration_start + step.after;
    case RecoveryTrigger::inject: return t_inject ? std::optional(*t_inject + step.after) : std::nullopt;
    case RecoveryTrigger::detect: return t_detect ? std::optional(*t_detect + step.after) : std::nullopt;
  }
  return std::nullopt;
}

std::string trigger_text(const RecoverySpec& step) {
  const char* on = step.on == RecoveryTrigger::detect ? "detect" : step.on == RecoveryTrigger::inject ? "inject" : "start";
  return step.after.count() == 0 ? std::string(on) : fmt::format("{} + {}", on, format_ms(step.after));
}

bool recovery_step_passed(const RecoverySpec& step, bool timed_out, int exit_code, const std::string& out,
                          std::string& why) {
  if (timed_out) {
    why = "timed out after " + format_duration(step.timeout);
    return false;
  }
  if (exit_code != step.expect_exit) {
    why = exit_code < 0 ? fmt::format("killed by signal {} (expected exit {})", -exit_code, step.expect_exit)
                        : fmt::format("exit {} (expected exit {})", exit_code, step.expect_exit);
    return false;
  }
  if (step.expect_stdout && out.find(*step.expect_stdout) == std::string::npos) {
    why = fmt::format("stdout does not contain '{}'", *step.expect_stdout);
    return false;
  }
  return true;
}

namespace {

std::string tail(const std::string& s, std::size_t max_chars = 2000) {
  return s.size() <= max_chars ? s : "..." + s.substr(s.size() - max_chars);
}

/// run_command that never throws: nullopt when it was cancelled.
asio::awaitable<std::optional<CommandResult>> command_or_cancelled(asio::any_io_executor ex, SpawnOptions opts,
                                                                   Nanos timeout) {
  try {
    co_return co_await run_command(ex, std::move(opts), timeout);
  } catch (const std::exception&) {
    co_return std::nullopt;
  }
}

/// Waits until the run is stopped (or this wait is cancelled).
asio::awaitable<void> until_stopped(StopSource& stop) {
  try {
    co_await stop.sleep_until(TimePoint::max());
  } catch (const std::exception&) {
  }
}

}  // namespace

asio::awaitable<std::optional<CommandResult>> run_command_or_stop(asio::any_io_executor ex, SpawnOptions opts,
                                                                  Nanos timeout, StopSource& stop) {
  if (stop.requested()) co_return std::nullopt;
  auto r = co_await (command_or_cancelled(ex, std::move(opts), timeout) || until_stopped(stop));
  if (r.index() == 1) co_return std::nullopt;
  co_return std::get<0>(r);
}

asio::awaitable<void> run_runbook(const std::vector<RecoverySpec>& steps, RunbookContext ctx) {
  const RunClock& clock = *ctx.clock;
  StopSource& stop = *ctx.stop;
  std::string skip_reason;  // set once the runbook cannot go on
  for (const auto& st : steps) {
    StepOutcome out;
    out.iteration = ctx.iteration;
    out.phase = "recovery";
    out.name = st.name;
    out.trigger = trigger_text(st);
    // 1. Wait for the trigger (or for the news that it will never come).
    std::optional<Nanos> due;
    while (skip_reason.empty()) {
      if (stop.requested()) co_return;
      due = due_time(st, ctx.iteration_start, ctx.t_inject(), ctx.t_detect());
      if (due) break;
      if (ctx.observation_over()) {
        skip_reason = st.on == RecoveryTrigger::detect ? "not triggered: no impact was detected"
                                                      : "not triggered: no fault was injected";
        break;
      }
      if (!co_await stop.sleep_for(ctx.poll)) co_return;
    }
    if (!skip_reason.empty()) {
      out.ran = false;
      out.ok = true;
      out.start = out.end = clock.now();
      out.output = skip_reason;
      ctx.on_step(out);
      continue;
    }
    if (!co_await stop.sleep_until(clock.at(*due))) co_return;
    // 2. Run it; a stop request kills it.
    SpawnOptions opts;
    const Bindings b{{"iteration", std::to_string(ctx.iteration)}};
    for (const auto& a : st.command.argv) opts.argv.push_back(substitute(a, b));
    opts.argv = in_netns(st.netns, std::move(opts.argv));
    out.start = clock.now();
    auto r = co_await (command_or_cancelled(ctx.ex, opts, st.timeout) || until_stopped(stop));
    out.end = clock.now();
    if (r.index() == 1 || !std::get<0>(r)) {
      out.ok = false;
      out.exit_code = -9;
      out.output = "stopped: the run was interrupted";
      ctx.on_step(out);
      co_return;
    }
    const CommandResult& res = *std::get<0>(r);
    out.exit_code = res.status.signal ? -res.status.signal : res.status.code;
    out.timed_out = res.timed_out;
    out.output = tail(res.start_error.empty() ? res.out + res.err : res.start_error);
    std::string why;
    out.ok = res.start_error.empty() && recovery_step_passed(st, res.timed_out, out.exit_code, res.out, why);
    if (!res.start_error.empty()) why = res.start_error;
    if (!out.ok) {
      out.output = why + (out.output.empty() || out.output == why ? "" : ": " + out.output);
      skip_reason = fmt::format("skipped: step '{}' failed", st.name);
    }
    ctx.on_step(out);
  }
}

}  // namespace faultline
