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
//   6. Conclude: measure (docs/design.md section 3) from the recorded
//      samples and judge every verdict (measure/verdicts.hpp, a pure
//      function); the caller writes the record (run.json) before the
//      ledger is resolved and the watchdog released.
//
// Everything runs on one single-threaded io_context: probes, process
// supervision, signals and the phases above are coroutines, and every wait
// of the phases goes through the run's StopSource, so SIGINT/SIGTERM/SIGHUP
// end any wait at once, after which step 5 still runs to completion. The
// stop conditions end the run the same way: the first failed sample of a
// [[guard]] (the run fails, exit 1) and `max_duration` (inconclusive, exit 3).
//
// run_scenario below is this list, a function per phase: prepare_run
// (run_prepare.hpp), the process guards (run_guards.hpp: signals, ledger,
// watchdog, subreaper), the event loop (run_loop.hpp) running the phases of
// Run (run.hpp: run.cpp, iteration.cpp, fault_timeline.cpp), and conclude_run.
#include "run/runner.hpp"

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <memory>
#include <utility>

#include "fault_injectors/proxy/link_set.hpp"
#include "measure/verdicts.hpp"
#include "run/live_view.hpp"
#include "run/partial_write.hpp"
#include "run/run.hpp"
#include "run/run_guards.hpp"
#include "run/run_loop.hpp"
#include "run/run_prepare.hpp"
#include "scenario/signals.hpp"

namespace faultline {

namespace {

/// The run begins on the console: its id, seed and the ports and links bound.
void announce(const Run& run, RunObserver& observer, const PreparedRun& p) {
  observer.begin(p.rec);
  run.log(fmt::format("run {} of '{}' (seed {}, {} iteration(s))", p.rec.run_id, p.rec.scenario_name, p.rec.seed,
                      p.rec.scenario.iterations));
  for (const auto& [name, value] : p.global)
    if (name.starts_with("port.") || name.starts_with("link.")) run.log(fmt::format("{{{}}} = {}", name, value));
}

/// 6. What the run observed goes into the record, which conclude() judges.
void conclude_run(RunRecord& rec, Run& run, const LinkSet& links, const RunOptions& opts) {
  rec.probes = run.take_series();
  rec.stalls = run.take_stalls();
  rec.service_events = run.service_events();
  rec.links = links.stats();
  RunOutputs out = run.take_outputs();
  out.stop_signal = run.stop().signal();
  if (out.stop_signal != 0) out.stop_signal_name = signal_name(out.stop_signal);
  out.baseline = opts.baseline;
  conclude(rec, out);
  rec.duration = run.clock().now();
}

}  // namespace

RunRecord run_scenario(const Scenario& scenario, const std::string& scenario_text, const RunOptions& opts) {
  asio::io_context io;
  LinkSet links;  // after io: destroyed before it

  // 1. Prepare: identity, seed, ports, links, network plan, placeholders.
  PreparedRun prepared = prepare_run(scenario, scenario_text, opts, links);
  RunRecord& rec = prepared.rec;
  const auto observer = make_run_observer(opts.console, opts.color);
  Run run(io, rec, *observer, links, prepared.network ? &*prepared.network : nullptr);
  rec.origin_monotonic_ns = run.clock().origin_ns();
  announce(run, *observer, prepared);

  // The process-level guards, for as long as the run: signals, the crash
  // ledger, the watchdog, the subreaper.
  ProcessGuards guards(io, run, prepared);
  run.setup(prepared.dir, &guards.ledger());
  // A record of how far the run got, should the harness die before concluding.
  if (opts.write_record)
    run.on_progress([&, warned = false](int k) mutable {
      try {
        rec.duration = run.clock().now();  // so far; conclude_run sets the run's own
        write_partial_record(rec, k, prepared.dir);
      } catch (const std::exception& e) {
        if (!std::exchange(warned, true)) run.warn(std::string("the partial record was not written: ") + e.what());
      }
    });

  // 1 to 5 on the event loop: network and links, clone, probes, iterations,
  // then the revert and teardown, whatever happened.
  run_event_loop(io, run, *observer, guards, rec.scenario);

  // 6. Conclude, hand the record to be written, resolve the ledger.
  conclude_run(rec, run, links, opts);
  if (opts.write_record) opts.write_record(rec, prepared.dir);
  guards.finish(rec.left_behind.empty());
  return std::move(rec);
}

}  // namespace faultline
