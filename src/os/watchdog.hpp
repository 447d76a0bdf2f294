// The watchdog: a small companion process that outlives the harness. It
// holds the read end of a pipe whose write end only the harness has; when
// the harness dies for any reason (SIGKILL, OOM, a crash) the kernel closes
// the write end, the watchdog wakes at once and, unless the ledger says the
// run finished cleanly, reverts the run's faults and stops its clone from
// the ledger (cleanup.hpp). It is started in a session of its own, detached
// from the harness's process tree, so that signals aimed at the harness's
// process group and the harness's own teardown of its descendants do not
// reach it.
//
// The harness also reports on that pipe every child it starts and every child
// it reaps (report()): probe and step commands, exec faults' commands, the
// services. Should the harness die, the watchdog first stops (SIGKILL) each
// reported group that is still running and is not a service of the ledger,
// so that a command in flight (an exec fault being applied, a probe) cannot
// act after the revert; the ledger's cleanup then reverts the faults and
// stops the services as before. The write end is non-blocking: a watchdog
// that stopped reading can never stall the harness (a report that does not
// fit is dropped).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <utility>

#include "os/fd.hpp"

namespace faultline {

/// The harness's end of a running watchdog.
class Watchdog {
 public:
  /// Starts a watchdog for the run whose ledger is at `ledger_path` (the run
  /// directory's copy) and `state_path` (the state directory's, read too:
  /// either may be behind when its disk was full); its output goes to
  /// `log_path`. Must be called before the harness becomes a
  /// child subreaper. Throws std::runtime_error when it cannot be started.
  static Watchdog start(const std::filesystem::path& ledger_path, const std::filesystem::path& state_path,
                        const std::filesystem::path& log_path);

  Watchdog(Watchdog&& other) noexcept;
  Watchdog& operator=(Watchdog&&) = delete;
  Watchdog(const Watchdog&) = delete;
  ~Watchdog();

  /// The watchdog's pid (for tests and the record).
  pid_t pid() const { return pid_; }
  /// Tells the watchdog that the child `pid` (its process group) started
  /// (`alive`) or was reaped. Never blocks; a no-op once released.
  void report(pid_t pid, bool alive) noexcept;
  /// Closes the pipe: the watchdog wakes, finds the ledger finished, exits.
  void release();

 private:
  Watchdog(pid_t pid, UniqueFd fd) : pid_(pid), fd_(std::move(fd)) {}
  pid_t pid_ = 0;
  UniqueFd fd_;
};

}  // namespace faultline
