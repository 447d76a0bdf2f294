// Child processes, launched by spawn.hpp: each in its own process group,
// output to a log file or captured, waited on asynchronously, and stoppable
// as a group. The seam between faultline and the process table.
#pragma once

#include <sys/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "os/spawn.hpp"  // ExitStatus, set_spawn_observer: every child is launched there
#include "scenario/duration.hpp"

namespace faultline {

namespace asio = boost::asio;

/// How to start a process.
struct SpawnOptions {
  std::vector<std::string> argv;  ///< argv[0] looked up in PATH when it has no '/'
  std::map<std::string, std::string> env;  ///< set on top of the inherited environment
  std::filesystem::path cwd;   ///< empty = inherit
  std::filesystem::path log;   ///< stdout and stderr appended here; empty = /dev/null
  int in_fd = -1;   ///< Child::spawn: the child's stdin (duplicated); -1 = /dev/null
  int out_fd = -1;  ///< Child::spawn: the child's stdout instead of `log` (duplicated); -1 = `log`
};

/// A running child process, leader of its own process group (pgid == pid).
/// Destroying a Child that is still running kills its group with SIGKILL and
/// reaps it: no path leaves an orphan or a zombie.
class Child {
 public:
  /// Starts the process. Throws std::runtime_error naming the command when it
  /// cannot be started (not found, not executable, bad cwd).
  static std::unique_ptr<Child> spawn(asio::any_io_executor ex, const SpawnOptions& opts);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const;
  /// The process group (== pid).
  pid_t pgid() const;
  /// Whether the leader has not been reaped yet.
  bool running() const;
  /// Sends `sig` to the leader only. Returns false when it was already gone.
  bool signal(int sig);
  /// Sends `sig` to the whole process group. Returns false when the group is gone.
  bool signal_group(int sig);
  /// Waits for the leader to exit and reaps it. May be awaited once at a time.
  asio::awaitable<ExitStatus> wait();
  /// The exit status once the leader was reaped.
  std::optional<ExitStatus> status() const;
  /// Stops the whole group: `sig`, up to `grace`, then SIGKILL to the group;
  /// returns once the leader is reaped and no member of the group is left.
  asio::awaitable<ExitStatus> stop(int sig, Nanos grace);

  struct Impl;

 private:
  explicit Child(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The result of a command run to completion.
struct CommandResult {
  ExitStatus status;
  bool timed_out = false;  ///< killed (group, SIGKILL) after the timeout
  std::string out;         ///< stdout, at most `max_output` bytes kept
  std::string err;         ///< stderr, at most `max_output` bytes kept
  std::string start_error; ///< non-empty when the command could not be started
};

/// Runs a command to completion with a timeout, capturing stdout and stderr
/// (SpawnOptions::log is ignored). Never throws for the command's own failures.
asio::awaitable<CommandResult> run_command(asio::any_io_executor ex, SpawnOptions opts,
                                           Nanos timeout, std::size_t max_output = 64 * 1024);

/// Makes this process a child subreaper (PR_SET_CHILD_SUBREAPER), so that
/// grandchildren whose parents die are reparented to it and can be stopped.
void become_subreaper();

/// Kills (SIGKILL) every remaining descendant of this process found in /proc
/// and reaps those that are our children and not tracked by a Child. Used at
/// teardown as the last line against daemonising services. Returns how many
/// processes it had to kill.
int kill_remaining_descendants();

/// Process ids of every process in process group `pgid` (scans /proc).
std::vector<pid_t> processes_in_group(pid_t pgid);

}  // namespace faultline
