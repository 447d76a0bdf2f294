// The process-level guards of a run, as one object that lives as long as
// the run: the signal handlers (SIGINT, SIGTERM, SIGHUP), the crash ledger,
// the watchdog that reverts from it should this process die, the report of
// every child to the watchdog, and this process as a child subreaper. Built
// in that order before the run starts anything, and undone on every path
// out; finish() resolves the ledger and releases the watchdog once the run
// is concluded.
//
// SIGINT, SIGTERM and SIGHUP cancel every wait; the run then reverts and
// tears down before returning (phase 5 does not wait on the stop source).
// A second signal does not skip the revert. A third one means the user
// will not wait: the run says exactly what is left applied and exits at
// once, leaving its ledger unresolved so that the watchdog (woken by the
// exit) or `faultline cleanup` finishes the revert.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <optional>

#include "os/fd.hpp"
#include "os/ledger.hpp"
#include "os/watchdog.hpp"
#include "run/run.hpp"
#include "run/run_prepare.hpp"

namespace faultline {

/// Signals, ledger, watchdog and subreaper for one run.
class ProcessGuards {
 public:
  /// Listens for the signals (on `io`, for `run`), writes the ledger of the
  /// prepared run, starts its watchdog, reports every child to it from now
  /// on and makes this process a child subreaper. Throws when the ledger
  /// cannot be written or the watchdog cannot be started.
  ProcessGuards(asio::io_context& io, Run& run, const PreparedRun& prepared);
  /// Children are no longer reported to the watchdog (released or not).
  ~ProcessGuards();
  ProcessGuards(const ProcessGuards&) = delete;
  ProcessGuards& operator=(const ProcessGuards&) = delete;

  /// The run's crash ledger, which the run's phases keep up to date.
  Ledger& ledger() { return ledger_; }
  /// The run's phases are over: signals are no longer listened for.
  void stop_listening() { signals_.cancel(); }
  /// The run is concluded (its record written). Everything is reverted and
  /// stopped when `resolved`: the ledger is marked finished. With something
  /// left behind it stays unresolved, and the watchdog (woken by the
  /// release) and `faultline cleanup` try again from it.
  void finish(bool resolved);

 private:
  void on_signal(const boost::system::error_code& ec, int sig);
  /// Kills what is left in the run's cgroup, moves this process out, removes it.
  void leave_cgroup();

  asio::signal_set signals_;
  Run& run_;
  int signals_received_ = 0;
  Ledger ledger_;
  std::optional<Watchdog> watchdog_;
  bool left_cgroup_ = false;
  UniqueFd cgroup_parent_procs_;  ///< held from the start: leaving needs no free descriptor
};

}  // namespace faultline
