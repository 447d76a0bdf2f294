#include <doctest/doctest.h>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include "os/process_signal.hpp"
#include "os/procfs.hpp"

using namespace faultline;

namespace {

/// A child that waits to be signalled, leader of its own process group. It
/// inherits the test runner's crash handlers, so tests send it SIGKILL.
pid_t start_sleeper() {
  const pid_t child = ::fork();
  if (child == 0) {
    ::setpgid(0, 0);
    for (;;) ::pause();
  }
  REQUIRE(child > 0);
  ::setpgid(child, child);  // both sides set it, so it holds before we go on
  return child;
}

/// The child's fate: the terminating signal, 0 if it is still running.
int reap(pid_t child, bool block) {
  int status = 0;
  const pid_t r = ::waitpid(child, &status, block ? 0 : WNOHANG);
  if (r == 0) return 0;
  return WIFSIGNALED(status) ? WTERMSIG(status) : -1;
}

}  // namespace

TEST_CASE("process_signal: a process is signalled only while it is the one that started at the recorded time") {
  const pid_t child = start_sleeper();
  const auto start = process_start_time(child);
  REQUIRE(start.has_value());
  // A different start time is another process that got the pid: refused.
  CHECK_FALSE(signal_process(child, *start + 1, SIGKILL));
  CHECK(reap(child, false) == 0);
  CHECK(signal_process(child, *start, SIGKILL));
  CHECK(reap(child, true) == SIGKILL);
  // Reaped: the pid is free, nothing to signal.
  CHECK_FALSE(signal_process(child, *start, SIGKILL));
}

TEST_CASE("process_signal: a group is signalled only while its leader is the recorded one") {
  const pid_t child = start_sleeper();
  const auto start = process_start_time(child);
  REQUIRE(start.has_value());
  CHECK_FALSE(signal_group(child, *start + 1, SIGKILL));
  CHECK(reap(child, false) == 0);
  CHECK(signal_group(child, *start, SIGKILL));
  CHECK(reap(child, true) == SIGKILL);
}

TEST_CASE("process_signal: PID 1, the harness itself and protected pids are never targets") {
  CHECK(is_protected_pid(1));
  CHECK(is_protected_pid(0));
  CHECK(is_protected_pid(::getpid()));
  CHECK_FALSE(signal_process(1, process_start_time(1).value_or(0), SIGCONT));
  CHECK_FALSE(signal_process(::getpid(), process_start_time(::getpid()).value_or(0), SIGCONT));
  CHECK_FALSE(signal_group(::getpgid(0), process_start_time(::getpgid(0)).value_or(0), SIGCONT));
  const pid_t child = start_sleeper();
  const auto start = process_start_time(child);
  REQUIRE(start.has_value());
  protect_pid(child);  // as the runner protects its watchdog
  CHECK(is_protected_pid(child));
  CHECK_FALSE(signal_process(child, *start, SIGKILL));
  CHECK_FALSE(signal_group(child, *start, SIGKILL));
  CHECK(reap(child, false) == 0);  // still running: nothing was sent
  ::kill(child, SIGKILL);
  CHECK(reap(child, true) == SIGKILL);
}
