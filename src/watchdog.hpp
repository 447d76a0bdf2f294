// The watchdog: a small companion process that outlives the harness. It
// holds the read end of a pipe whose write end only the harness has; when
// the harness dies for any reason (SIGKILL, OOM, a crash) the kernel closes
// the write end, the watchdog wakes at once and, unless the ledger says the
// run finished cleanly, reverts the run's faults and stops its clone from
// the ledger (cleanup.hpp). It is started in a session of its own, detached
// from the harness's process tree, so that signals aimed at the harness's
// process group and the harness's own teardown of its descendants do not
// reach it.
#pragma once

#include <sys/types.h>

#include <filesystem>

namespace faultline {

/// The harness's end of a running watchdog.
class Watchdog {
 public:
  /// Starts a watchdog for the run whose ledger is at `ledger_path`; its
  /// output goes to `log_path`. Must be called before the harness becomes a
  /// child subreaper. Throws std::runtime_error when it cannot be started.
  static Watchdog start(const std::filesystem::path& ledger_path, const std::filesystem::path& log_path);

  Watchdog(Watchdog&& other) noexcept;
  Watchdog& operator=(Watchdog&&) = delete;
  Watchdog(const Watchdog&) = delete;
  ~Watchdog();

  /// The watchdog's pid (for tests and the record).
  pid_t pid() const { return pid_; }
  /// Closes the pipe: the watchdog wakes, finds the ledger finished, exits.
  void release();

 private:
  Watchdog(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  pid_t pid_ = 0;
  int fd_ = -1;
};

}  // namespace faultline
