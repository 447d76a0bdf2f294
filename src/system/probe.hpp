// One execution of a probe (tcp connect, http request, exec command), with
// its timeout applied. The scheduler (scheduler.hpp) decides when; this file
// decides how.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "scenario/scenario.hpp"

namespace faultline {

namespace asio = boost::asio;

/// What one probe execution found.
struct ProbeOutcome {
  bool ok = false;
  std::string detail;  ///< e.g. "connection refused", "status 503", "exit 1: <stderr>", "timeout after 100 ms"
};

/// The part of an execution that needs no event loop, done on the calling
/// thread: for a tcp probe of an address in the harness's own namespace,
/// the connect. It holds the outcome when the connect completed or failed
/// within the call (on loopback it always does: the execution is then
/// over, with no coroutine, timer or reactor involved), else the socket of
/// the connect still in progress, which run_probe_once() finishes. Empty
/// for every other probe. Move-only; closes a socket it still holds.
class ProbeStart {
 public:
  ProbeStart() = default;
  ~ProbeStart();
  ProbeStart(ProbeStart&& other) noexcept;
  ProbeStart& operator=(ProbeStart&& other) noexcept;
  ProbeStart(const ProbeStart&) = delete;
  ProbeStart& operator=(const ProbeStart&) = delete;

  std::optional<ProbeOutcome> outcome;  ///< the execution's outcome, when it is over
  /// The socket of a connect in progress (-1: none), handed over to whoever takes it.
  int take_socket();

 private:
  friend ProbeStart start_probe(const ProbeSpec& p);
  int fd_ = -1;
};

/// Begins one execution of `p` on the calling thread (ProbeStart). Never throws.
ProbeStart start_probe(const ProbeSpec& p);

/// Runs `p` once (placeholders already resolved), never longer than its
/// effective timeout (plus the time to kill an exec probe's process group),
/// from network namespace `p.netns` when set (a socket opened there, or the
/// command run there with `ip netns exec`). `started`: what start_probe()
/// began for this execution (its outcome must be empty), if it was called.
/// Never throws for the probed system's failures.
asio::awaitable<ProbeOutcome> run_probe_once(asio::any_io_executor ex, const ProbeSpec& p, ProbeStart started = {});

}  // namespace faultline
