// One execution of a probe (tcp connect, http request, exec command), with
// its timeout applied. The scheduler (scheduler.hpp) decides when; this file
// decides how.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <string>

#include "scenario/scenario.hpp"

namespace faultline {

namespace asio = boost::asio;

/// What one probe execution found.
struct ProbeOutcome {
  bool ok = false;
  std::string detail;  ///< e.g. "connection refused", "status 503", "exit 1: <stderr>", "timeout after 100 ms"
};

/// Runs `p` once (placeholders already resolved), never longer than its
/// effective timeout (plus the time to kill an exec probe's process group),
/// from network namespace `p.netns` when set (a socket opened there, or the
/// command run there with `ip netns exec`).
/// Never throws for the probed system's failures.
asio::awaitable<ProbeOutcome> run_probe_once(asio::any_io_executor ex, const ProbeSpec& p);

}  // namespace faultline
