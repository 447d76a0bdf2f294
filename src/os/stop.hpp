// Cancellation for every blocking wait of a run. A StopSource is requested
// once (SIGINT, SIGTERM, a guard breach); every wait that goes through it
// returns early. Reverts and teardown do not wait on it: they must finish.
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

}  // namespace faultline
