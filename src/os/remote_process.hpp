// The process table of a host, reached through its RemoteShell: the POSIX
// scripts that signal a process (or its group) on a host only while it is
// still the process the run found there, and that read its state back.
//
// The identity rule is the local one (procfs.hpp, process_signal.hpp): a
// process is its pid *and* its start time (field 22 of /proc/PID/stat, in
// clock ticks since the host's boot). Every script checks the start time
// right before each kill, in the same shell on the host, so the window in
// which a recycled pid could be hit is the few microseconds between the
// check and the kill(2), not an SSH round trip. A group is signalled only
// while its leader is that process (a group whose leader has exited is
// reached as long as the leader's number is still this group's: the kernel
// hands out no pid that is still in use as a process group id). A process
// that leads no group of its own (an attached service may not) is
// signalled, and read back, alone.
//
// Each script is one round trip and prints one word, its verdict:
//   signal_script: "sent" (exit 0) or "gone" (exit 3: not that process any
//     more, nothing was sent);
//   await_state_script: "stopped" / "running" once every member of the
//     group (or the leader alone) is in that state, or "timeout" (exit 4).
// The /proc parsing is done with `read` and parameter expansion only
// (comm may hold spaces and parentheses: the fields start after the last
// ") "), so the scripts fork nothing but `sleep` while they poll.
#pragma once

#include <sys/types.h>

#include <string>

#include "scenario/duration.hpp"

namespace faultline {

/// A process on a host: pid and start time, and whether faults act on its group.
struct RemoteProcess {
  pid_t pid = 0;
  unsigned long long start_time = 0;  ///< field 22 of /proc/PID/stat on its host
  bool group = true;                  ///< its whole process group (pid is the leader)
};

/// The shell functions the other scripts use (fl_start PID: prints the
/// start time or fails; fl_is PID START: whether PID is still that process).
std::string procfs_functions();

/// Sends `signal` to `p` (its group when p.group) after checking its
/// identity; prints "sent" or "gone" (see atop this file).
std::string signal_script(const RemoteProcess& p, int signal);

/// Waits (polling every 10 ms, at most `timeout`) until every process of
/// `p` is stopped (`stopped` = true; a zombie counts as stopped) or none is
/// (false); prints "stopped" / "running" or "timeout".
std::string await_state_script(const RemoteProcess& p, bool stopped, Nanos timeout);

/// SIGSTOP to `p`, then await_state until it is stopped: the pause, in one round trip.
std::string pause_script(const RemoteProcess& p, Nanos timeout);

/// SIGCONT to `p` (when it is still that process), then await_state until
/// nothing of it is stopped: the revert of a pause, idempotent (a process
/// that is gone counts as resumed). Prints "running", "gone" or "timeout".
std::string resume_script(const RemoteProcess& p, Nanos timeout);

}  // namespace faultline
