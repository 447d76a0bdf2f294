// One run's phases and state (the runner's "Run"): what runner.cpp drives
// on the run's io_context. Phase 1 (building the network and starting the
// links), 2 (the clone), 3 (the probes), 4 (the iterations) and 5 (the
// revert and teardown) are its members; main() runs them in order, and
// take_outputs() hands what they observed to the conclusion
// (measure/verdicts.hpp). The members are defined by concern: run.cpp (the
// run from start to teardown, its failures and stop conditions),
// iteration.cpp (one iteration: gate, setup, timeline beside the runbook
// and the workloads, observation, verify, cool-down) and fault_timeline.cpp
// (inject, hold and revert, with the crash ledger). Internal to src/run/.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/proxy/link_set.hpp"
#include "measure/measurement.hpp"
#include "measure/verdicts.hpp"
#include "os/clock.hpp"
#include "os/ledger.hpp"
#include "os/netns.hpp"
#include "os/stop.hpp"
#include "record/record.hpp"
#include "run/remote_context.hpp"
#include "run/run_observer.hpp"
#include "run/scheduler.hpp"
#include "run/stall_watch.hpp"
#include "scenario/schedule.hpp"
#include "system/clone.hpp"
#include "system/remote_service.hpp"

namespace faultline {

namespace asio = boost::asio;

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

/// One application of a fault that may still need reverting.
struct Applied {
  std::unique_ptr<Injector> injector;
  std::size_t event = 0;              ///< index into RunRecord::faults
  std::optional<TimePoint> revert_due;  ///< reversible faults with a hold
  std::unique_ptr<FaultSpec> spec;      ///< a dynamic target's fault as chosen (target_select.hpp); null = as declared
};

/// One scenario's run: its phases, and what they observed.
class Run {
 public:
  Run(asio::io_context& io, RunRecord& rec, RunObserver& observer, LinkSet& links, const NetworkPlan* network)
      : io_(io), rec_(rec), s_(rec.scenario), obs_(observer), links_(links), network_(network) {}

  /// Phases 2 to 5; never throws. Sets rec_.outcome and rec_.error.
  asio::awaitable<void> main();

  /// The run's stop source: a signal or a stop condition requests it.
  StopSource& stop() { return stop_; }
  /// The run clock: every time in the record is an offset on it.
  const RunClock& clock() const { return clock_; }

  /// What is still applied, one line per fault, for a forced exit.
  std::vector<std::string> still_applied() const;

  /// Prepares what main() needs; throws for a bad run directory.
  void setup(const std::filesystem::path& run_dir, Ledger* ledger);

  /// An event line on the console.
  void log(std::string_view text) const { obs_.event(clock_.now(), text); }
  /// A warning, shown even with --quiet.
  void warn(std::string_view text) const { obs_.warning(clock_.now(), text); }
  /// Tells the console where the run is.
  void phase(int iteration, std::string_view what, std::optional<Nanos> until = std::nullopt,
             std::string_view until_what = "") const {
    obs_.phase(clock_.now(), iteration, what, until, until_what);
  }

  /// Stop condition: aborts the run (every wait ends; phase 5 reverts and
  /// tears down as for a signal) with `outcome` and `why` for the record.
  void abort(Outcome outcome, const std::string& why);

  /// What the phases observed for the conclusion, handed over once the run
  /// is over: the iterations' windows, the workloads' writes and reads, the
  /// guards' samples and the first breach.
  RunOutputs take_outputs();

  /// Called with k when the clone is ready (0) and after iteration k ended
  /// (not one a stop cut short): the runner writes the partial record.
  void on_progress(std::function<void(int iterations_done)> f) { on_progress_ = std::move(f); }

  /// The probes' samples so far.
  const std::vector<ProbeSeries>& series() const { return scheduler_->series(); }
  /// The samples, handed over once the run is over.
  std::vector<ProbeSeries> take_series() { return scheduler_->take_series(); }
  /// The times the harness did not run on schedule (its own stall watch,
  /// the probes' and the guards' schedulers), in start order; once the run is over.
  std::vector<HarnessStall> take_stalls();
  /// What the clone's services did (starts, exits, restarts).
  const std::vector<ServiceEvent>& service_events() const { return clone_->events(); }

 private:
  /// A guard failed: the run must not go on hurting what it protects.
  void guard_breached(std::size_t guard, const Sample& sample);

  /// Records the run's failure: the first one is the one to report.
  void fail(Outcome o, const std::string& why);

  // 1. The namespaces exist before any service starts in them. The ledger
  // already names the run's tag, so whatever kills the harness from here
  // on, the watchdog or `faultline cleanup` finds and deletes them. A
  // network that cannot be built leaves nothing half-built (bring_up
  // deletes what it made) and makes the run inconclusive: nothing was tested.
  void start_network();

  // 1. The links start forwarding before any service starts.
  void start_links();

  // 2. The clone. A service that does not come up makes the run
  // inconclusive: nothing was tested yet, so no objective was missed.
  asio::awaitable<void> start_clone();

  // 4. One iteration: gate, setup, timeline, observation, verify, cool-down.
  asio::awaitable<void> iteration(int it);

  // c. and d.: inject and revert, then observe until the iteration's
  // episodes are settled; `observed` tells the runbook that no trigger can
  // come any more.
  asio::awaitable<void> timeline(int it, IterationWindow& w, const std::string& tag, bool& observed);

  /// The first injection of iteration `it` that returned, if any.
  const FaultEvent* first_injection(int it) const;

  // c. The runbook, beside the timeline. It never throws: a failure of the
  // timeline must reach the caller as itself, not as two exceptions.
  asio::awaitable<void> runbook(int it, const IterationWindow& w, const bool& observed);

  // a. Waits until every steady-state probe has been ok for steady_for;
  // throws Inconclusive at steady_timeout.
  asio::awaitable<void> steady_state_gate(const std::string& tag);

  /// Which steady-state probes are failing now, and why.
  std::string unhealthy_detail() const;

  /// How often the runner looks at the samples: as often as the fastest
  /// steady-state probe reports, within [1 ms, 100 ms].
  Nanos poll_interval() const;

  // b. and e. Runs setup or verify commands in order: a failed setup step
  // makes the run inconclusive, a failed verify step is recorded.
  asio::awaitable<void> run_steps(const char* phase, const std::vector<StepSpec>& steps, int it);

  /// Records a fault's progress in the crash ledger. Only the intent before
  /// inject is fsynced; progress is written crash-safe (visible to the
  /// watchdog at once, no fsync), because it lands right after an inject or
  /// a revert, exactly when the next probe ticks measure TTD and recovery.
  void ledger_state(std::size_t event, const std::string& state);
  /// Writes the ledger as it is (crash-safe). Never throws: a failure (a
  /// full disk beyond the reserved space) is a warning and makes the run a
  /// harness error (exit 4), and the run, above all its revert, goes on.
  void save_progress();
  /// clock.skew: the targeted services' control files (ledger first) and preload, before the clone starts.
  void arm_clock();
  /// Warns of a ledger write that succeeded only in part (`note`), once per run.
  void ledger_note(const std::string& note);

  /// The test hook behind tests/integration/test_fault_matrix.cpp: with
  /// FAULTLINE_TEST_BLOCK_IN=inject, hold or revert, the first time the run
  /// reaches that moment it says so on stderr ("faultline-test-hook: in
  /// MOMENT of fault 'NAME'") and waits until the run is stopped (a signal),
  /// so that a test can kill it at exactly that moment without guessing with
  /// sleeps. The moments: inject = the injector has applied the fault but
  /// the ledger still says "applying"; hold = the ledger says "applied";
  /// revert = the revert has begun, the injector has not acted yet. Unset in
  /// every real run: then this does nothing.
  asio::awaitable<void> test_hook(std::string_view moment, const std::string& fault);

  /// What an injector needs for iteration `it`.
  InjectorContext context(int it);

  // c. Inject and revert in time order. Reverts are due a fault's hold after
  // its own t_inject, so the timeline is built as it goes.
  asio::awaitable<void> apply_faults(int it, IterationWindow& w);

  /// Prepares, records in the ledger and applies one planned injection;
  /// returns its event's index. A fault with a hold stays in applied_.
  asio::awaitable<std::size_t> inject(int it, const PlannedInjection& p);

  /// A fault could not be prepared or applied: recorded on its event, then
  /// thrown as a harness error ("fault 'NAME' WHAT: ERROR").
  [[noreturn]] void fault_failed(std::size_t event, std::string_view what, const FaultError& e);
  /// A dynamic target (issue 14): the fault as chosen now, recorded on its
  /// event; null when the fault names its target. Throws HarnessError when
  /// none or several candidates match, or when the run stopped meanwhile.
  asio::awaitable<std::unique_ptr<FaultSpec>> choose_target(std::size_t event, const FaultSpec& declared);

  /// Reverts one applied fault and forgets it. A failed revert is recorded as
  /// left behind and makes the run a harness error, but never stops the
  /// other reverts.
  asio::awaitable<std::size_t> revert(Applied& a);

  // d. Observation ends when measurement says the iteration is settled.
  asio::awaitable<void> observe(IterationWindow& w, const std::string& tag);

  // 5. Revert everything still applied, newest first, then stop probing and
  // tear the clone down. Runs on every path; never waits on stop_.
  asio::awaitable<void> shut_down();

  /// A warning when the stall watch saw the whole harness stopped or starved.
  void warn_stalls();

  // The namespaces go last: nothing runs in them any more. Deleting them
  // deletes their veths, routes and nft tables; `ip netns list` is read
  // back, and what is left is reported as left behind (exit 4).
  void stop_network();

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
  std::unique_ptr<StallWatch> stall_watch_;  ///< the whole harness's stalls
  std::optional<GuardBreach> breach_;  ///< the first failed guard and why
  std::vector<IterationWindow> windows_;  ///< one per iteration that injected
  std::vector<WorkloadRun> workload_runs_;  ///< one per workload and iteration that read
  std::vector<Applied> applied_;
  std::uint64_t next_seq_ = 1;  ///< the workloads' next {seq}: unique over the whole run
  LinkSet& links_;
  const NetworkPlan* network_ = nullptr;  ///< null unless network = "namespaces"
  bool network_up_ = false;
  Ledger* ledger_ = nullptr;
  std::string test_block_in_;  ///< FAULTLINE_TEST_BLOCK_IN, see test_hook

  // [[host]]s (issue 14): connected before the clone starts (every failure
  // is exit 3 before any fault, one line per host), the run directory made
  // on each; removed and disconnected after the clone stopped, on every path.
  asio::awaitable<void> start_hosts();
  void stop_hosts();
  std::unique_ptr<RemoteHosts> hosts_;
  bool ledger_noted_ = false;  ///< ledger_note warned already
  /// What injectors learn of the hosts (where a service runs, the guardians'
  /// settings); null when no [[host]] is declared.
  std::unique_ptr<RemoteContext> remote_;

  // 4. [[strategy]] runs (issue 17; strategy_phase.cpp): the iterations
  // follow RunRecord::iteration_strategies, each with its strategy's
  // runbook and checks.
  /// How many iterations phase 4 runs: the scenario's, or one per strategy per block.
  int iteration_count() const;
  /// The strategy iteration `it` runs, or nullptr without strategies.
  const StrategySpec* strategy_of(int it) const;
  /// The runbook of iteration `it`: its strategy's, or the scenario's.
  const std::vector<RecoverySpec>& runbook_of(int it) const;
  /// The verify steps of iteration `it`: the scenario's, then its strategy's.
  std::vector<StepSpec> verify_of(int it) const;
  /// "iteration 3/6" or "iteration 3/6 (strategy 'rollback')".
  std::string iteration_tag(int it) const;
  std::function<void(int)> on_progress_;  ///< see on_progress
};

}  // namespace faultline
