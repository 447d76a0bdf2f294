// The one launcher of child processes. Every child faultline starts (a
// service, a probe or step command, an exec fault's command, an `ip`, `nft`
// or `tc` of the network, a revert command of `faultline cleanup`) goes
// through launch_process(): posix_spawn, its own process group, an empty
// signal mask, every signal at its default action, stdin on /dev/null and no
// descriptor above stderr. Every child is registered while it runs and
// reported to the spawn observer (the watchdog, watchdog.hpp) when it starts
// and once it is reaped.
//
// Two ways to wait build on it: the asynchronous Child of subprocess.hpp
// (an event loop, pidfds, process-group stops) and run_sync() here, for
// code without an event loop (network bring-up and teardown, cleanup after
// the harness died, capability checks).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "scenario/duration.hpp"

namespace faultline {

/// How a process ended.
struct ExitStatus {
  int code = 0;    ///< exit code when exited normally
  int signal = 0;  ///< terminating signal, 0 when it exited normally
  bool success() const { return signal == 0 && code == 0; }
  /// "exit 0", "exit 3", "killed by SIGKILL"
  std::string describe() const;
};

/// The ExitStatus of a waitpid() status.
ExitStatus from_wait_status(int wait_status);

/// What launch_process() starts.
struct LaunchOptions {
  std::vector<std::string> argv;
  /// The executable; empty = argv[0] looked up in PATH (posix_spawnp).
  std::filesystem::path exe;
  /// "K=V" strings; nullptr = this process's environment.
  const std::vector<std::string>* env = nullptr;
  std::filesystem::path cwd;  ///< empty = inherit
  int out_fd = -1;            ///< the child's stdout; -1 = /dev/null
  int err_fd = -1;            ///< the child's stderr; -1 = /dev/null
  int in_fd = -1;             ///< the child's stdin; -1 = /dev/null
};

/// Starts a child as described atop this file and registers it (the spawn
/// observer hears of it). Returns its pid (also its process group), or -1
/// with `error` set to posix_spawn's error number. The caller reaps the
/// child and then calls child_reaped().
pid_t launch_process(const LaunchOptions& opts, int& error);

/// Unregisters a child launch_process() started, once it is reaped (the
/// spawn observer hears of it). A no-op for a pid that is not registered.
void child_reaped(pid_t pid);

/// Whether `pid` is a registered child that was not reaped yet.
bool is_registered_child(pid_t pid);

/// Tells `observer` of every child this process starts (its pid, which is
/// also its process group, and true) and of every child once reaped (false),
/// from whichever thread starts or reaps it. The runner passes them to the
/// watchdog, which stops the groups still running should the harness die
/// (watchdog.hpp). One observer per process; nullptr removes it.
void set_spawn_observer(std::function<void(pid_t, bool)> observer);

/// Where run_sync() puts the command's stdout and stderr.
enum class SyncOutput {
  capture,  ///< into SyncOutcome::output; done when every writer closed the pipe
  discard,  ///< to /dev/null; done when the command itself exits
};

/// How a command run by run_sync() went.
struct SyncOutcome {
  std::string pipe_error;  ///< "pipe: ..." when the output pipe could not be made
  int spawn_error = 0;     ///< posix_spawn's error number when it could not start
  bool timed_out = false;  ///< its group was killed (SIGKILL) at the timeout
  ExitStatus status;       ///< how it ended, once started
  std::string output;      ///< stdout and stderr together, about 64 KiB at most
  bool started() const { return pipe_error.empty() && spawn_error == 0; }
};

/// Runs `argv` (argv[0] looked up in PATH) to completion without an event
/// loop, its group killed with SIGKILL after `timeout`; always reaps it.
SyncOutcome run_sync(const std::vector<std::string>& argv, Nanos timeout,
                     SyncOutput output = SyncOutput::capture);

}  // namespace faultline
