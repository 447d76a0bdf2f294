// Fixed-rate probe scheduling on CLOCK_MONOTONIC, on a thread of its own.
// Tick k of a probe fires at start + k * interval whatever the previous
// probe took, so a slow probe never shifts later ticks. A tick that comes
// while the same probe's previous execution is still running is skipped and
// counted as an overrun (the running execution still yields its sample), and
// so are the ticks that passed while the harness was late by more than one
// interval (they are not fired in a burst afterwards).
//
// Threads (docs/design.md section 1): the ticks and executions of tcp and
// http probes run on the scheduler's own thread and io_context, which
// nothing else uses, so spawning processes, writing files, runbook steps and
// workloads on the run's event loop never delay them. Exec probes tick and
// spawn their commands on a second thread of the scheduler's (started only
// when there are exec probes): spawning can block, so it shares a thread
// with neither the network probes nor the run's event loop.
//
// Priority: the tcp/http probe thread (of the probes' scheduler and of the
// guards') runs at real-time priority where the kernel allows
// (os/realtime.hpp), so a busy machine does not make its probes late: with
// a busy loop on every core, 1 ms probes' point error p99 fell from 4.5 ms
// to 0.8-1.8 ms (docs/benchmarks.md). A thread that uses more than three
// quarters of a core over a second goes back to ordinary priority for the
// rest of the run. Each probe's record says whether it ran so throughout
// (`realtime`). The exec thread and the run's event loop stay ordinary: they
// spawn processes and write files, work that must not take a core from the
// system under test; so does Asio's resolver thread, which looks up a
// probe's host name (an address needs none). The queue the probe thread
// shares with the event loop is a PriorityInheritingMutex.
//
// Every sample is
// handed to the run's event loop in order through a mutex-guarded queue;
// series(), the sample callback and everything else of this class's
// interface belong to that loop's thread. The loop takes the queue whenever
// series() is read, and on a timer of its own (the pump) for the callback:
// every shortest probe interval within [1 ms, 10 ms] by default, or as
// set_callback_latency() says. The run's probes are read through series()
// (the steady-state gate, the observation, the runbook's triggers) and their
// callback only feeds the live console, so their pump runs every 10 ms: at
// 1 kHz its own wake-ups were about 1 us of every probe execution's cost
// (docs/benchmarks.md). The guards' callback decides a breach, so theirs
// keeps the default. A turn of the pump that finds nothing puts it to sleep
// until the next sample, whose delivery wakes it (the only time the probe
// threads signal the loop): probes seconds apart would otherwise wake the
// run's loop, which also moves the links' bytes, a hundred times a second.
//
// Besides the samples, the scheduler records for each probe how many ticks
// fell due (`scheduled`), how late samples started after their tick (p50,
// p99, max) and every time its thread ran more than one interval late
// (HarnessStall events naming the probe).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "os/clock.hpp"
#include "record/record.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

namespace asio = boost::asio;

/// Runs a set of probes at their own fixed rates and records every sample.
class ProbeScheduler {
 public:
  /// Called on `ex`'s thread after each sample is appended: the probe's index and the sample.
  using SampleCallback = std::function<void(std::size_t probe, const Sample& sample)>;

  /// `ex`: the run's event loop (single-threaded), where samples are delivered.
  ProbeScheduler(asio::any_io_executor ex, const RunClock& clock, std::vector<ProbeSpec> probes);
  /// Stops at once: executions in flight are abandoned (call stop() and drain() first to keep them).
  ~ProbeScheduler();
  ProbeScheduler(const ProbeScheduler&) = delete;
  ProbeScheduler& operator=(const ProbeScheduler&) = delete;

  /// Starts the probe thread; tick 0 of every probe fires at `start` (a run offset). Once.
  void start(Nanos start);
  /// The share of a core over a second above which the real-time probe
  /// thread goes back to ordinary priority (default 0.75; before start()).
  /// Tests lower it to see the thread lowered without loading a core.
  void set_saturation_limit(double share_of_a_core);
  /// No tick fires after this call.
  void stop();
  /// Completes when every execution in flight has yielded its sample and the
  /// scheduler's threads have ended (call after stop()); every sample is then in series().
  asio::awaitable<void> drain();

  void on_sample(SampleCallback cb);
  /// A time measurement will take as a bound (an iteration's start, an
  /// injection, a revert, the end of an observation), read from the clock
  /// just now: no folded samples straddle it (sample_compactor.hpp).
  void cut(Nanos t);
  /// The samples delivered so far, one series per probe in declaration
  /// order: every sample queued by now is recorded first (and the callback
  /// called for it), not folded (only the pump folds, on a turn of its own,
  /// so a cut made after reading the clock still bounds every fold).
  /// `scheduled` and the lateness figures are filled in by drain().
  const std::vector<ProbeSeries>& series();
  /// The callback is called within this long of a sample's delivery, at the
  /// latest (before start(); default: the shortest probe interval, within
  /// [1 ms, 10 ms]). Reading series() is always current.
  void set_callback_latency(Nanos at_most);
  /// Hands the series over (moved, not copied: a long drill holds hundreds of
  /// thousands of samples) once every execution has drained; the scheduler
  /// is left with none.
  std::vector<ProbeSeries> take_series();
  /// The times a probe's ticks ran more than one interval late, in start
  /// order per probe (after drain()).
  std::vector<HarnessStall> take_stalls();

  struct Impl;
  struct Thread;

 private:
  std::shared_ptr<Impl> impl_;
  std::unique_ptr<Thread> thread_;  ///< the probe and exec threads and their io_contexts
};

}  // namespace faultline
