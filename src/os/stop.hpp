// Cancellation for every blocking wait of a run. A StopSource is requested
// once (SIGINT, SIGTERM, a guard breach); every wait that goes through it
// returns early. Reverts and teardown do not wait on it: they must finish.
//
// Before a run has its own signal handling (the validation, the namespace
// capability probe, the checks of the command line), SIGINT, SIGTERM and
// SIGHUP are caught from the first instruction of main and remembered: not
// lost (a harness started in the background by a shell inherits SIGINT
// ignored), and not fatal half-way through building and deleting a probe
// namespace. The command acts on the remembered signal at its next step
// (`run` starts nothing and exits 130/143).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <set>

#include "os/clock.hpp"

namespace faultline {

namespace asio = boost::asio;

/// A cancellation signal shared by the waits of one run (single-threaded io_context).
class StopSource {
 public:
  /// Marks the run as stopping, with the signal that caused it (0 = none),
  /// and wakes every wait in progress. Later calls keep the first signal.
  void request(int signal = 0);
  bool requested() const { return requested_; }
  int signal() const { return signal_; }

  /// Waits until `deadline`; false when stopped before (or already stopped).
  asio::awaitable<bool> sleep_until(TimePoint deadline);
  /// Waits `d`; false when stopped before.
  asio::awaitable<bool> sleep_for(Nanos d);

 private:
  bool requested_ = false;
  int signal_ = 0;
  std::set<asio::steady_timer*> waiting_;
};

/// Catches SIGINT, SIGTERM and SIGHUP with a handler that only remembers the
/// first one (early_stop_signal); the dispositions it replaces are kept for
/// release_early_stop_signals. Called first thing in main, and again after a
/// run's own handling (a signal_set, which restores the default) is gone.
void catch_stop_signals_early();

/// The first stop signal caught since catch_stop_signals_early (0 = none).
int early_stop_signal();

/// Gives the three signals back the dispositions they had before
/// catch_stop_signals_early, then raises the remembered signal, if any, so
/// that a command which needs no deferral ends as it always did.
void release_early_stop_signals();

/// The exit code of a command ended by `sig` before it started anything:
/// 130 for SIGINT, 143 otherwise (as a run interrupted by it).
int exit_code_for_stop_signal(int sig);

}  // namespace faultline
