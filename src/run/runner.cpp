// The runner: one scenario, end to end. It reads as the list of phases a
// drill goes through; each phase says why it is there.
//
//   1. Name the run, pick the seed, bind ports, open the links' listening
//      sockets, plan the network namespaces (network = "namespaces"),
//      resolve placeholders; then build the namespaces (each host with its
//      address, joined to the run's hub) and start the links (the TCP
//      proxies that net.* faults act on), so services can use them from the
//      start.
//   2. Bring up the staging clone (dependency order, readiness).
//   3. Start the probes: one fixed-rate schedule for the whole run, so that
//      every iteration is measured against the same clock and no transition
//      falls between two probe sessions.
//   4. For each iteration:
//      a. steady-state gate: prove the system healthy before touching it,
//         otherwise a failure after the fault would prove nothing (exit 3);
//      b. setup commands (e.g. write the data verify will look for);
//      c. the fault timeline: inject, hold, revert, at seeded offsets;
//         beside it, from the iteration start, the workloads' writes and
//         the runbook ([[recovery]] steps, triggered by detection, the
//         injection or an offset);
//      d. observe until recovered and the watch window is over, or the
//         deadline passed; the runbook then ends, the workloads stop
//         writing and read back which acknowledged writes survived;
//      e. verify commands (data integrity, dependency health);
//      f. cool down.
//   5. Revert whatever is still applied (also on error and interruption),
//      stop the probes, tear the clone down, stop the links, delete the
//      run's network namespaces.
//   6. Measure (DESIGN.md section 3) from the recorded samples, judge the
//      thresholds, write the record.
//
// Everything runs on one single-threaded io_context: probes, process
// supervision, signals and the phases above are coroutines, and every wait
// of the phases goes through the run's StopSource, so SIGINT/SIGTERM/SIGHUP
// end any wait at once, after which step 5 still runs to completion. The
// stop conditions end the run the same way: the first failed sample of a
// [[guard]] (the run fails, exit 1) and `max_duration` (inconclusive, exit 3).
#include "run/runner.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/uuid/detail/sha1.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fmt/format.h>
#include <random>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/proxy/link_set.hpp"
#include "measure/measurement.hpp"
#include "os/atomic_file.hpp"
#include "os/clock.hpp"
#include "os/ledger.hpp"
#include "os/netns.hpp"
#include "os/process_signal.hpp"
#include "os/procfs.hpp"
#include "os/signals.hpp"
#include "os/stop.hpp"
#include "os/subprocess.hpp"
#include "os/watchdog.hpp"
#include "record/json_record.hpp"
#include "run/live_view.hpp"
#include "run/runbook.hpp"
#include "run/scheduler.hpp"
#include "run/workload.hpp"
#include "scenario/placeholders.hpp"
#include "scenario/schedule.hpp"
#include "scenario/text_match.hpp"
#include "system/clone.hpp"

namespace faultline {

using namespace asio::experimental::awaitable_operators;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

/// The run could not go on for a reason that is the system's or the
/// environment's, not a recovery objective: the clone did not start, the
/// steady state was not met, a setup command failed (exit 3).
struct Inconclusive : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// faultline itself could not apply or revert a fault (exit 4).
struct HarnessError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string make_run_id() {
  std::random_device rd;
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  return fmt::format("{}-{:06x}", stamp, rd() & 0xffffff);
}

std::uint64_t random_seed() {
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) | rd();
}

std::string iso_utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string scenario_digest(const std::string& text) {
  boost::uuids::detail::sha1 h;
  h.process_bytes(text.data(), text.size());
  boost::uuids::detail::sha1::digest_type d;
  h.get_digest(d);
  std::string out = "sha1:";
  for (unsigned v : d) out += fmt::format("{:08x}", v);
  return out;
}

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

/// One application of a fault that may still need reverting.
struct Applied {
  std::unique_ptr<Injector> injector;
  std::size_t event = 0;              ///< index into RunRecord::faults
  std::optional<TimePoint> revert_due;  ///< reversible faults with a hold
};

class Run {
 public:
  Run(asio::io_context& io, RunRecord& rec, RunObserver& observer, LinkSet& links, const NetworkPlan* network)
      : io_(io), rec_(rec), s_(rec.scenario), obs_(observer), links_(links), network_(network) {}

  /// Phases 2 to 5; never throws. Sets rec_.outcome and rec_.error.
  asio::awaitable<void> main() {
    try {
      start_network();                                                  // 1
      start_links();
      co_await start_clone();                                           // 2
      scheduler_->start(clock_.now());                                  // 3
      if (guards_) guards_->start(clock_.now());
      for (int it = 1; it <= s_.iterations && !stop_.requested(); ++it)  // 4
        co_await iteration(it);
    } catch (const Inconclusive& e) {
      fail(Outcome::inconclusive, e.what());
    } catch (const HarnessError& e) {
      fail(Outcome::harness_error, e.what());
    } catch (const std::exception& e) {
      fail(Outcome::harness_error, std::string("internal error: ") + e.what());
    }
    co_await shut_down();  // 5
  }

  StopSource& stop() { return stop_; }
  const RunClock& clock() const { return clock_; }

  /// What is still applied, one line per fault, for a forced exit.
  std::vector<std::string> still_applied() const {
    std::vector<std::string> out;
    for (const auto& a : applied_)
      out.push_back(fmt::format("fault '{}' ({}): {}", rec_.faults[a.event].fault, rec_.faults[a.event].kind,
                                a.injector->describe()));
    return out;
  }

  /// Prepares what main() needs; throws for a bad run directory.
  void setup(const std::filesystem::path& run_dir, Ledger* ledger) {
    run_dir_ = run_dir;
    ledger_ = ledger;
    if (const char* h = std::getenv("FAULTLINE_TEST_BLOCK_IN"); h && *h) test_block_in_ = h;
    clone_ = std::make_unique<Clone>(io_.get_executor(), clock_, s_, run_dir);
    // Every process the clone starts is in the ledger before it can matter.
    // Crash-safe, not fsynced: a restart by policy happens while recovery is
    // being measured, and an fsync there would delay the next probe ticks
    // (see save_ledger for why that is safe).
    clone_->on_started([this](const std::string& service, pid_t pid) {
      ledger_->processes.push_back({service, pid, process_start_time(pid).value_or(0)});
      save_ledger(*ledger_, Durability::crash_safe);
    });
    scheduler_ = std::make_unique<ProbeScheduler>(io_.get_executor(), clock_, s_.probes);
    scheduler_->on_sample([this](std::size_t probe, const Sample& sample) { obs_.sample(probe, sample); });
    // Guards run on their own schedule, beside the probes and never measured
    // with them: their first failed sample is a breach.
    if (!s_.guards.empty()) {
      guards_ = std::make_unique<ProbeScheduler>(io_.get_executor(), clock_, s_.guards);
      guards_->on_sample([this](std::size_t guard, const Sample& sample) {
        if (!sample.ok && !breach_) guard_breached(guard, sample);
      });
    }
    params_ = MeasureParams{s_.recovered_after, s_.watch, s_.give_up_after};
  }

  void log(std::string_view text) const { obs_.event(clock_.now(), text); }
  void warn(std::string_view text) const { obs_.warning(clock_.now(), text); }
  /// Tells the console where the run is.
  void phase(int iteration, std::string_view what, std::optional<Nanos> until = std::nullopt,
             std::string_view until_what = "") const {
    obs_.phase(clock_.now(), iteration, what, until, until_what);
  }

  /// Stop condition: aborts the run (every wait ends; phase 5 reverts and
  /// tears down as for a signal) with `outcome` and `why` for the record.
  void abort(Outcome outcome, const std::string& why) {
    if (stop_.requested()) return;  // already stopping: the first reason stands
    fail(outcome, why);
    stop_.request();
  }

  /// One verdict per guard: passed when it never failed.
  std::vector<Verdict> guard_verdicts() {
    std::vector<Verdict> out;
    if (!guards_) return out;
    const auto series = guards_->take_series();
    for (std::size_t i = 0; i < series.size(); ++i) {
      std::size_t failed = 0;
      for (const auto& smp : series[i].samples) failed += smp.ok ? 0 : 1;
      Verdict v;
      v.threshold = "guard";
      v.scope = s_.guards[i].name;
      v.passed = !(breach_ && breach_->first == i);
      v.measured = fmt::format("{} sample(s), {} failed", series[i].samples.size(), failed);
      v.limit = "never fails";
      if (!v.passed) v.detail = breach_->second;
      out.push_back(v);
    }
    return out;
  }

  std::vector<IterationWindow> windows;  ///< one per iteration that injected
  /// One workload's writes and read in one iteration, accounted in phase 6.
  struct WorkloadRun {
    std::size_t workload = 0;  ///< index into Scenario::workloads
    int iteration = 0;
    std::vector<WriteOutcome> writes;
    ReadOutcome read;
  };
  std::vector<WorkloadRun> workload_runs;
  const std::vector<ProbeSeries>& series() const { return scheduler_->series(); }
  /// The samples, handed over once the run is over.
  std::vector<ProbeSeries> take_series() { return scheduler_->take_series(); }
  const std::vector<ServiceEvent>& service_events() const { return clone_->events(); }

 private:
  /// A guard failed: the run must not go on hurting what it protects.
  void guard_breached(std::size_t guard, const Sample& sample) {
    const std::string why =
        fmt::format("guard '{}' failed at {} ({}): the run was aborted and every fault reverted", s_.guards[guard].name,
                    format_ms(sample.end), sample.detail.empty() ? "no detail" : sample.detail);
    breach_ = std::make_pair(guard, why);
    // A breach is the system's failure, like a missed objective (exit 1),
    // unless the run is already stopping for another reason.
    if (stop_.requested()) return;
    if (rec_.outcome == Outcome::passed) rec_.outcome = Outcome::failed;
    if (rec_.error.empty()) rec_.error = why;
    warn(why);
    stop_.request();
  }

  void fail(Outcome o, const std::string& why) {
    // The first failure is the one to report; later ones are consequences.
    if (rec_.outcome == Outcome::passed || rec_.outcome == Outcome::failed) {
      rec_.outcome = o;
      rec_.error = why;
    }
    warn(why);
  }

  // 1. The namespaces exist before any service starts in them. The ledger
  // already names the run's tag, so whatever kills the harness from here
  // on, the watchdog or `faultline cleanup` finds and deletes them. A
  // network that cannot be built leaves nothing half-built (bring_up
  // deletes what it made) and makes the run inconclusive: nothing was tested.
  void start_network() {
    if (!network_) return;
    phase(0, "building the network namespaces");
    try {
      bring_up(*network_);
    } catch (const NetworkError& e) {
      throw Inconclusive(std::string("the network namespaces could not be built: ") + e.what());
    }
    network_up_ = true;
    log(fmt::format("network: hub {} at {} (subnet {})", network_->hub, network_->hub_address, network_->subnet.text()));
    for (const auto& h : network_->hosts) {
      std::string svcs;
      for (const auto& n : h.services) svcs += (svcs.empty() ? "" : ", ") + n;
      log(fmt::format("network: host '{}' ({}) in {} at {}", h.name, svcs, h.netns, h.address));
    }
  }

  // 1. The links start forwarding before any service starts.
  void start_links() {
    links_.start(io_.get_executor(), s_, clock_);
    for (const auto& l : s_.links) log(fmt::format("link '{}' forwards {{link.{}}} to {}", l.name, l.name, l.to));
  }

  // 2. The clone. A service that does not come up makes the run
  // inconclusive: nothing was tested yet, so no objective was missed.
  asio::awaitable<void> start_clone() {
    phase(0, "starting the clone");
    log(fmt::format("starting {} service(s) in {}", s_.services.size(), run_dir_.string()));
    try {
      co_await clone_->start(stop_);
    } catch (const CloneError& e) {
      std::string msg = e.what();
      if (!e.log_tail.empty()) msg += fmt::format("\n--- last lines of {} ---\n{}", clone_->log_path(e.service).string(), e.log_tail);
      throw Inconclusive(msg);
    }
    if (!stop_.requested()) log("clone ready");
  }

  asio::awaitable<void> iteration(int it) {
    const std::string tag = fmt::format("iteration {}/{}", it, s_.iterations);
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
    std::vector<std::unique_ptr<WorkloadWriter>> writers;
    for (const auto& spec : s_.workloads) {
      writers.push_back(std::make_unique<WorkloadWriter>(io_.get_executor(), clock_, spec, it, next_seq_));
      writers.back()->start(w.start);
    }
    bool observed = false;
    if (s_.recovery.empty())
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
      workload_runs.push_back(std::move(run));
    }
    if (stop_.requested()) co_return;
    // e. Verify: only meaningful once the system is back (or given up on).
    co_await run_steps("verify", s_.verify, it);
    // f. Cool down, so the next gate does not measure this iteration's tail.
    if (it < s_.iterations && s_.cool_down.count() > 0) {
      phase(it, "cool-down", clock_.now() + s_.cool_down, "ends");
      co_await stop_.sleep_for(s_.cool_down);
    }
  }

  // c. and d.: inject and revert, then observe until the iteration's
  // episodes are settled; `observed` tells the runbook that no trigger can
  // come any more.
  asio::awaitable<void> timeline(int it, IterationWindow& w, const std::string& tag, bool& observed) {
    struct Done {
      bool& flag;
      ~Done() { flag = true; }
    } done{observed};
    co_await apply_faults(it, w);
    if (stop_.requested()) co_return;
    phase(it, "observing recovery", w.inject + s_.give_up_after, "deadline");
    co_await observe(w, tag);
    windows.push_back(w);
  }

  /// The first injection of iteration `it` that returned, if any.
  const FaultEvent* first_injection(int it) const {
    for (const auto& ev : rec_.faults)
      if (ev.iteration == it && ev.inject_end) return &ev;
    return nullptr;
  }

  // c. The runbook, beside the timeline. It never throws: a failure of the
  // timeline must reach the caller as itself, not as two exceptions.
  asio::awaitable<void> runbook(int it, const IterationWindow& w, const bool& observed) {
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
      co_await run_runbook(s_.recovery, std::move(ctx));
    } catch (const std::exception& e) {
      warn(fmt::format("iteration {}: the runbook stopped: {}", it, e.what()));
    }
  }

  asio::awaitable<void> steady_state_gate(const std::string& tag) {
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

  /// Which steady-state probes are failing now, and why.
  std::string unhealthy_detail() const {
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

  /// How often the runner looks at the samples: as often as the fastest
  /// steady-state probe reports, within [1 ms, 100 ms].
  Nanos poll_interval() const {
    Nanos p = 100ms;
    for (const auto& pr : s_.probes)
      if (pr.steady_state) p = std::min(p, pr.interval);
    return std::max<Nanos>(p, 1ms);
  }

  asio::awaitable<void> run_steps(const char* phase, const std::vector<StepSpec>& steps, int it) {
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

  /// Records a fault's progress in the crash ledger. Only the intent before
  /// inject is fsynced; progress is written crash-safe (visible to the
  /// watchdog at once, no fsync), because it lands right after an inject or
  /// a revert, exactly when the next probe ticks measure TTD and recovery.
  void ledger_state(std::size_t event, const std::string& state) {
    for (auto& f : ledger_->faults)
      if (f.id == std::to_string(event)) f.state = state;
    save_ledger(*ledger_, Durability::crash_safe);
  }

  /// The test hook behind tests/integration/test_fault_matrix.cpp: with
  /// FAULTLINE_TEST_BLOCK_IN=inject, hold or revert, the first time the run
  /// reaches that moment it says so on stderr ("faultline-test-hook: in
  /// MOMENT of fault 'NAME'") and waits until the run is stopped (a signal),
  /// so that a test can kill it at exactly that moment without guessing with
  /// sleeps. The moments: inject = the injector has applied the fault but
  /// the ledger still says "applying"; hold = the ledger says "applied";
  /// revert = the revert has begun, the injector has not acted yet. Unset in
  /// every real run: then this does nothing.
  asio::awaitable<void> test_hook(std::string_view moment, const std::string& fault) {
    if (test_block_in_ != moment) co_return;
    test_block_in_.clear();  // once per run
    const std::string line = fmt::format("faultline-test-hook: in {} of fault '{}'\n", moment, fault);
    if (::write(STDERR_FILENO, line.data(), line.size()) < 0) co_return;
    co_await stop_.sleep_for(std::chrono::hours(24));
  }

  InjectorContext context(int it) {
    return InjectorContext{io_.get_executor(), *clone_, stop_, Bindings{{"iteration", std::to_string(it)}},
                           &links_, rec_.seed, it, network_};
  }

  // c. Inject and revert in time order. Reverts are due a fault's hold after
  // its own t_inject, so the timeline is built as it goes.
  asio::awaitable<void> apply_faults(int it, IterationWindow& w) {
    const auto plan = schedule_iteration(s_, rec_.seed, it);
    const TimePoint t0 = clock_.at(w.start);
    std::size_t next = 0;
    bool first = true;
    for (;;) {
      // The earliest pending revert, if any.
      Applied* due = nullptr;
      for (auto& a : applied_)
        if (a.revert_due && (!due || *a.revert_due < *due->revert_due)) due = &a;
      const bool inject_next =
          next < plan.size() && (!due || t0 + plan[next].offset < *due->revert_due);
      if (!inject_next && !due) break;
      if (inject_next) {
        phase(it, "fault timeline", w.start + plan[next].offset, "inject " + s_.faults[plan[next].fault].name);
        if (!co_await stop_.sleep_until(t0 + plan[next].offset)) co_return;
        const FaultEvent& ev = rec_.faults[co_await inject(it, plan[next])];
        if (first) {
          w.inject_start = ev.inject_start;
          w.inject = *ev.inject_end;
          first = false;
        } else {
          w.later_injections.push_back(ev.inject_start);
        }
        ++next;
      } else {
        phase(it, "fault timeline");
        if (!co_await stop_.sleep_until(*due->revert_due)) co_return;
        const FaultEvent& ev = rec_.faults[co_await revert(*due)];
        // Nothing more is injected once something could not be undone.
        if (!ev.ok) throw HarnessError(fmt::format("fault '{}' could not be reverted: {}", ev.fault, ev.error));
        if (ev.revert_end) w.revert = std::max(w.revert.value_or(Nanos{0}), *ev.revert_end);
      }
    }
  }

  asio::awaitable<std::size_t> inject(int it, const PlannedInjection& p) {
    const FaultSpec& spec = s_.faults[p.fault];
    FaultEvent ev;
    ev.iteration = it;
    ev.fault = spec.repeat > 1 ? fmt::format("{} ({}/{})", spec.name, p.repetition, spec.repeat) : spec.name;
    ev.kind = spec.kind;
    ev.target = spec.target;
    rec_.faults.push_back(ev);
    const std::size_t idx = rec_.faults.size() - 1;

    Applied a{make_injector(spec, s_.network), idx, std::nullopt};
    auto ctx = context(it);
    ctx.event = idx;
    try {
      co_await a.injector->prepare(ctx);
    } catch (const FaultError& e) {
      rec_.faults[idx].ok = false;
      rec_.faults[idx].error = e.what();
      throw HarnessError(fmt::format("fault '{}' cannot be applied: {}", ev.fault, e.what()));
    }
    // The intent goes to the crash ledger (fsynced) before anything is
    // applied: if the harness dies from here on, the watchdog or `faultline
    // cleanup` knows what to undo. A run that cannot record it must not apply.
    try {
      ledger_->faults.push_back({std::to_string(idx), ev.fault, ev.kind, "applying", a.injector->undo_plan(ctx)});
      save_ledger(*ledger_);
    } catch (const std::exception& e) {
      throw HarnessError(fmt::format("fault '{}' not applied: cannot write the crash ledger: {}", ev.fault, e.what()));
    }
    // From here on the fault may be (partly) applied: it is in applied_ so
    // that every exit path reverts it.
    applied_.push_back(std::move(a));
    Applied& held = applied_.back();
    rec_.faults[idx].inject_start = clock_.now();
    try {
      co_await held.injector->inject(ctx);
    } catch (const FaultError& e) {
      rec_.faults[idx].ok = false;
      rec_.faults[idx].error = e.what();
      throw HarnessError(fmt::format("fault '{}' could not be applied: {}", ev.fault, e.what()));
    }
    co_await test_hook("inject", rec_.faults[idx].fault);
    const Nanos t_inject = clock_.now();
    rec_.faults[idx].inject_end = t_inject;
    log(fmt::format("inject {}: {}", rec_.faults[idx].fault, held.injector->describe()));
    const FaultEvent& ev_now = rec_.faults[idx];
    const std::string label =
        fmt::format("{} ({}{}{})", ev_now.fault, ev_now.kind, ev_now.target.empty() ? "" : " ", ev_now.target);
    if (held.injector->reversible() && p.hold) {
      held.revert_due = clock_.at(t_inject + *p.hold);
      obs_.fault_applied(t_inject, idx, label, t_inject + *p.hold);
      ledger_state(idx, "applied");
      co_await test_hook("hold", rec_.faults[idx].fault);
    } else {
      // Nothing to undo (a kill, a restart, an exec without revert).
      applied_.pop_back();
      obs_.fault_applied(t_inject, idx, label, std::nullopt);
      ledger_state(idx, "reverted");
    }
    co_return idx;
  }

  /// Reverts one applied fault and forgets it. A failed revert is recorded as
  /// left behind and makes the run a harness error, but never stops the
  /// other reverts.
  asio::awaitable<std::size_t> revert(Applied& a) {
    FaultEvent& ev = rec_.faults[a.event];
    auto ctx = context(ev.iteration);
    ev.revert_start = clock_.now();
    co_await test_hook("revert", ev.fault);
    try {
      co_await a.injector->revert(ctx);
      ev.revert_end = clock_.now();
      log(fmt::format("revert {}", ev.fault));
      ledger_state(a.event, "reverted");
    } catch (const FaultError& e) {
      ev.ok = false;
      ev.error = e.what();
      rec_.left_behind.push_back(fmt::format("{}: {} ({})", ev.fault, a.injector->describe(), e.what()));
      fail(Outcome::harness_error, fmt::format("fault '{}' could not be reverted: {}", ev.fault, e.what()));
    }
    const std::size_t event = a.event;
    obs_.fault_reverted(clock_.now(), event);
    std::erase_if(applied_, [&](const Applied& x) { return x.event == event; });
    co_return event;
  }

  // d. Observation ends when measurement says the iteration is settled.
  asio::awaitable<void> observe(IterationWindow& w, const std::string& tag) {
    for (;;) {
      const Nanos now = clock_.now();
      w.observed_until = now;
      if (observation_complete(scheduler_->series(), w, params_, now)) break;
      if (!co_await stop_.sleep_for(poll_interval())) co_return;
    }
    const auto m = measure_iteration(scheduler_->series(), w, params_);
    if (!m.impact)
      log(fmt::format("{}: no impact (fault absorbed)", tag));
    else if (m.recovered)
      log(fmt::format("{}: impact after {}, recovered {} after injection{}", tag, format_ms(*m.ttd),
                      format_ms(*m.recovery_time), m.relapses ? fmt::format(", {} relapse(s)", m.relapses) : ""));
    else
      log(fmt::format("{}: impact after {}, NOT recovered within {}", tag, format_ms(*m.ttd),
                      format_duration(s_.give_up_after)));
  }

  // 5. Revert everything still applied, newest first, then stop probing and
  // tear the clone down. Runs on every path; never waits on stop_.
  asio::awaitable<void> shut_down() {
    phase(0, "reverting what is applied, stopping the clone");
    while (!applied_.empty()) co_await revert(applied_.back());
    scheduler_->stop();
    co_await scheduler_->drain();
    if (guards_) {
      guards_->stop();
      co_await guards_->drain();
    }
    co_await clone_->stop();
    log("clone stopped");
    links_.stop();
    stop_network();
  }

  // The namespaces go last: nothing runs in them any more. Deleting them
  // deletes their veths, routes and nft tables; `ip netns list` is read
  // back, and what is left is reported as left behind (exit 4).
  void stop_network() {
    if (!network_ || !network_up_) return;
    try {
      const auto deleted = tear_down(network_->tag);
      log(fmt::format("network: deleted {} namespace(s)", deleted.size()));
    } catch (const std::exception& e) {
      rec_.left_behind.push_back(std::string("network: ") + e.what());
      fail(Outcome::harness_error, std::string("the network namespaces could not be deleted: ") + e.what());
    }
    network_up_ = false;
  }

  asio::io_context& io_;
  RunRecord& rec_;
  const Scenario& s_;
  RunObserver& obs_;
  RunClock clock_;
  StopSource stop_;
  MeasureParams params_;
  std::filesystem::path run_dir_;
  std::unique_ptr<Clone> clone_;
  std::unique_ptr<ProbeScheduler> scheduler_;
  std::unique_ptr<ProbeScheduler> guards_;  ///< [[guard]] probes, if any
  std::optional<std::pair<std::size_t, std::string>> breach_;  ///< the first failed guard and why
  std::vector<Applied> applied_;
  std::uint64_t next_seq_ = 1;  ///< the workloads' next {seq}: unique over the whole run
  LinkSet& links_;
  const NetworkPlan* network_ = nullptr;  ///< null unless network = "namespaces"
  bool network_up_ = false;
  Ledger* ledger_ = nullptr;
  std::string test_block_in_;  ///< FAULTLINE_TEST_BLOCK_IN, see test_hook
};

/// Without an `rto` threshold, a system that never came back must still fail
/// the run (DESIGN.md section 3: not recovered fails the iteration): this
/// verdict says whether every iteration recovered before `give_up_after`.
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

/// Verdicts for [[verify]] steps: one per step, failing when any iteration's run of it failed.
std::vector<Verdict> verify_verdicts(const Scenario& s, const std::vector<StepOutcome>& steps) {
  std::vector<Verdict> out;
  for (const auto& st : s.verify) {
    Verdict v;
    v.threshold = "verify";
    v.scope = st.name;
    int runs = 0, ok = 0;
    for (const auto& o : steps) {
      if (o.phase != "verify" || o.name != st.name) continue;
      ++runs;
      if (o.ok) ++ok;
      else if (v.detail.empty())
        v.detail = fmt::format("iteration {}: {}", o.iteration,
                               o.timed_out ? "timed out" : fmt::format("exit {}: {}", o.exit_code, o.output));
    }
    v.passed = runs > 0 && ok == runs;
    v.measured = fmt::format("{}/{} iterations passed", ok, runs);
    v.limit = "all iterations";
    if (runs == 0) v.detail = "never ran (no iteration reached verify)";
    out.push_back(v);
  }
  return out;
}

/// The third signal: print what is left, kill our children's process groups
/// (the clone and any command in flight: the watchdog reverts from the
/// ledger and would stop the clone anyway, and a revert command cut short is
/// run again from the ledger), and exit without touching the ledger.
[[noreturn]] void force_exit(const std::vector<std::string>& left, const Ledger& ledger, int sig) {
  std::string msg = fmt::format("faultline: third signal: exiting now without finishing the revert.\n");
  if (left.empty()) msg += "faultline: no fault is left applied.\n";
  for (const auto& l : left) msg += fmt::format("faultline: LEFT APPLIED: {}\n", l);
  for (const auto& p : ledger.processes)
    if (same_process(p.pid, p.start_time))
      msg += fmt::format("faultline: LEFT RUNNING: service '{}' (process group {}), killed now\n", p.service, p.pid);
  msg += fmt::format(
      "faultline: the watchdog (pid {}) reverts what is left from the ledger; if it cannot, run `faultline cleanup "
      "--run {}`\n",
      ledger.watchdog_pid, ledger.run_id);
  if (::write(STDERR_FILENO, msg.data(), msg.size()) < 0) {
    // nothing more we can do about a closed stderr
  }
  // Every descendant (the clone, a command in flight) is killed; the
  // watchdog is not one (watchdog.hpp), and the faults stay in the ledger.
  kill_remaining_descendants();
  ::_exit(sig == SIGINT ? 130 : 143);
}

/// Where each process of the run starts with network = "namespaces": a
/// service in its host's namespace, its ready probe there too (or in the
/// namespace of its `from`); [[probe]]s, [[guard]]s and [[setup]]/[[verify]] commands in
/// the hub, which no partition cuts, unless `from` names a service.
void place_in_namespaces(Scenario& s, const NetworkPlan& plan) {
  auto netns_of = [&](const std::string& service, const std::string& fallback) {
    const NetHost* h = service.empty() ? nullptr : plan.host_of(service);
    return h ? h->netns : fallback;
  };
  for (auto& svc : s.services) {
    svc.netns = netns_of(svc.name, plan.hub);
    if (svc.ready) svc.ready->netns = netns_of(svc.ready->from, svc.netns);
  }
  for (auto& p : s.probes) p.netns = netns_of(p.from, plan.hub);
  for (auto& g : s.guards) g.netns = netns_of(g.from, plan.hub);
  for (auto& st : s.setup) st.netns = netns_of(st.from, plan.hub);
  for (auto& st : s.verify) st.netns = netns_of(st.from, plan.hub);
  for (auto& r : s.recovery) r.netns = plan.hub;
  for (auto& w : s.workloads) w.netns = plan.hub;
}

}  // namespace

bool interrupted_by_signal() { return g_interrupted != 0; }

RunRecord run_scenario(const Scenario& scenario, const std::string& scenario_text, const RunOptions& opts) {
  // 1. Identity, seed, ports, placeholders.
  RunRecord rec;
  rec.faultline_version = FAULTLINE_VERSION;
  rec.run_id = make_run_id();
  rec.scenario_name = scenario.name;
  rec.scenario_file = scenario.file;
  rec.scenario_digest = scenario_digest(scenario_text);
  rec.seed = opts.seed ? *opts.seed : scenario.seed ? *scenario.seed : random_seed();
  rec.started_at = iso_utc_now();
  utsname u{};
  if (::uname(&u) == 0) {
    rec.host = u.nodename;
    rec.kernel = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  }

  const std::filesystem::path run_dir =
      opts.out_dir.empty() ? std::filesystem::path("runs") / fmt::format("{}-{}", scenario.name, rec.run_id)
                           : opts.out_dir;
  std::filesystem::create_directories(run_dir / "logs");
  const auto abs_dir = std::filesystem::absolute(run_dir);

  asio::io_context io;
  LinkSet links;  // after io: destroyed before it
  Bindings global{{"run.dir", abs_dir.string()}, {"run.id", rec.run_id}, {"seed", std::to_string(rec.seed)}};
  for (const auto& svc : scenario.services)
    for (const auto& port : svc.ports) {
      rec.ports[port] = allocate_loopback_port();
      global["port." + port] = std::to_string(rec.ports[port]);
    }
  for (const auto& [name, port] : links.bind(scenario.links)) global["link." + name] = std::to_string(port);
  // The namespaces are planned (names, addresses) now, built in phase 1.
  std::optional<NetworkPlan> network;
  if (scenario.network == NetworkMode::namespaces) {
    network = plan_network(scenario, rec.run_id);
    for (const auto& h : network->hosts)
      for (const auto& svc : h.services) global["addr." + svc] = h.address;
  }
  std::map<std::string, Bindings> per_service;
  for (const auto& svc : scenario.services)
    per_service[svc.name] = {{"service.dir", (abs_dir / "services" / svc.name).string()}, {"service.name", svc.name}};
  rec.scenario = resolve_placeholders(scenario, global, per_service);
  if (opts.iterations) rec.scenario.iterations = *opts.iterations;
  if (network) place_in_namespaces(rec.scenario, *network);

  const auto observer = make_run_observer(opts.console, opts.color);
  Run run(io, rec, *observer, links, network ? &*network : nullptr);
  rec.origin_monotonic_ns = run.clock().origin_ns();
  observer->begin(rec);
  run.log(fmt::format("run {} of '{}' (seed {}, {} iteration(s))", rec.run_id, scenario.name, rec.seed,
                      rec.scenario.iterations));
  for (const auto& [name, value] : global)
    if (name.starts_with("port.") || name.starts_with("link.")) run.log(fmt::format("{{{}}} = {}", name, value));

  // SIGINT, SIGTERM and SIGHUP cancel every wait; the run then reverts and
  // tears down before returning (phase 5 does not wait on the stop source).
  // A second signal does not skip the revert. A third one means the user
  // will not wait: the run says exactly what is left applied and exits at
  // once, leaving its ledger unresolved so that the watchdog (woken by the
  // exit) or `faultline cleanup` finishes the revert.
  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  int signals_received = 0;
  Ledger ledger;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        g_interrupted = 1;
        if (++signals_received >= 3) force_exit(run.still_applied(), ledger, run.stop().signal() ? run.stop().signal() : sig);
        if (!run.stop().requested()) run.warn(fmt::format("received {}, reverting faults and stopping", signal_name(sig)));
        else if (signals_received == 2)
          run.warn(fmt::format("received {} again: still reverting; a third signal exits at once and leaves the rest "
                               "to the watchdog",
                               signal_name(sig)));
        run.stop().request(sig);
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);
  // The crash ledger and its watchdog come first: from now on, whatever
  // kills this process, what the run applied and started can be undone. The
  // watchdog must be started before this process becomes a subreaper, so
  // that it is adopted outside our tree (see watchdog.hpp).
  ledger.run_id = rec.run_id;
  ledger.scenario = scenario.name;
  ledger.run_dir = abs_dir.string();
  ledger.harness_pid = ::getpid();
  ledger.harness_start_time = process_start_time(::getpid()).value_or(0);
  if (network) ledger.network_tag = network->tag;
  save_ledger(ledger);
  Watchdog watchdog = Watchdog::start(abs_dir / "ledger.json", abs_dir / "logs" / "watchdog.log");
  ledger.watchdog_pid = watchdog.pid();
  protect_pid(watchdog.pid());  // never a target of this run's signals
  save_ledger(ledger);
  // Every child from now on is reported to the watchdog, which stops those
  // still running should this process die (watchdog.hpp). The guard removes
  // the observer before the watchdog object goes, on every path out.
  set_spawn_observer([&watchdog](pid_t pid, bool alive) { watchdog.report(pid, alive); });
  struct ObserverGuard {
    ~ObserverGuard() { set_spawn_observer(nullptr); }
  } observer_guard;
  become_subreaper();

  // A live console redraws as time passes, not only when something happens.
  asio::steady_timer refresh(io);
  bool done = false;
  std::function<void(const boost::system::error_code&)> on_refresh = [&](const boost::system::error_code& ec) {
    if (ec || done) return;
    observer->tick(run.clock().now());
    refresh.expires_after(observer->refresh_interval());
    refresh.async_wait(on_refresh);
  };
  if (observer->refresh_interval().count() > 0) {
    refresh.expires_after(observer->refresh_interval());
    refresh.async_wait(on_refresh);
  }

  run.setup(abs_dir, &ledger);
  // max_duration bounds everything up to the end of the last iteration;
  // the teardown after it is never cut short.
  asio::steady_timer bound(io);
  if (rec.scenario.max_duration) {
    bound.expires_after(*rec.scenario.max_duration);
    bound.async_wait([&](const boost::system::error_code& ec) {
      if (ec || done) return;
      run.abort(Outcome::inconclusive,
                fmt::format("max_duration {} reached: the run was aborted and every fault reverted",
                            format_duration(*rec.scenario.max_duration)));
    });
  }
  asio::co_spawn(io, run.main(), [&](std::exception_ptr) {
    done = true;
    signals.cancel();
    refresh.cancel();
    bound.cancel();
  });
  io.run();
  observer->end(run.clock().now());

  // 6. Measure, judge, conclude.
  rec.probes = run.take_series();
  rec.service_events = run.service_events();
  rec.links = links.stats();
  const MeasureParams params{rec.scenario.recovered_after, rec.scenario.watch, rec.scenario.give_up_after};
  for (const auto& w : run.windows) rec.iterations.push_back(measure_iteration(rec.probes, w, params));
  rec.statistics = summarize(rec.iterations);
  if (!rec.iterations.empty()) rec.verdicts = judge(rec.scenario.thresholds, rec.iterations, rec.statistics, params);
  if (auto v = recovery_verdict(rec.scenario, rec.iterations)) rec.verdicts.push_back(std::move(*v));
  for (auto& v : verify_verdicts(rec.scenario, rec.steps)) rec.verdicts.push_back(std::move(v));
  // The runbook: its metrics beside TTR, and a verdict per step.
  for (auto& m : rec.iterations) runbook_metrics(m, rec.steps);
  for (auto& v : runbook_verdicts(rec.scenario, rec.steps)) rec.verdicts.push_back(std::move(v));
  // Data loss: each workload's writes against its read, the fault window
  // being the one probe latency uses (to the recovery, or to the end of
  // observation when there was none).
  for (const auto& wr : run.workload_runs) {
    auto m = std::find_if(rec.iterations.begin(), rec.iterations.end(),
                          [&](const IterationMetrics& x) { return x.index == wr.iteration; });
    if (m == rec.iterations.end()) continue;
    const Nanos fault_end = m->revert ? *m->revert : m->t_recover ? *m->t_recover : m->recovered ? m->inject : m->observed_until;
    rec.workloads.push_back(account_writes(rec.scenario.workloads[wr.workload].name, wr.iteration, wr.writes, wr.read,
                                           m->inject_start, std::max(fault_end, m->inject_start)));
  }
  for (auto& v : data_loss_verdicts(rec.scenario.thresholds, rec.workloads)) rec.verdicts.push_back(std::move(v));
  for (auto& v : run.guard_verdicts()) rec.verdicts.push_back(std::move(v));
  if (opts.baseline)
    for (auto& v : regression_verdicts(rec, *opts.baseline)) rec.verdicts.push_back(std::move(v));
  rec.duration = run.clock().now();

  const int sig = run.stop().signal();
  if (sig != 0) {
    rec.outcome = Outcome::interrupted;
    rec.error = fmt::format("interrupted by {}; every fault was reverted", signal_name(sig));
  } else if (rec.outcome == Outcome::passed) {
    const bool all_passed = std::all_of(rec.verdicts.begin(), rec.verdicts.end(), [](const Verdict& v) { return v.passed; });
    if (!all_passed) rec.outcome = Outcome::failed;
  }
  rec.exit_code = exit_code_for(rec.outcome, sig != SIGINT);  // SIGTERM and SIGHUP: 143

  write_file_atomic(abs_dir / "run.json", render_json(rec));
  // Everything is reverted and stopped: the ledger is resolved. With
  // something left behind it stays unresolved, and the watchdog (woken by
  // release) and `faultline cleanup` try again from it.
  if (rec.left_behind.empty()) finish_ledger(ledger);
  watchdog.release();
  return rec;
}

}  // namespace faultline
