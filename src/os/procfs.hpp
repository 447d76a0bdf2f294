// Reading process state back from /proc, so that faults are verified by what
// the kernel says rather than by the exit code of whatever applied them. The
// one reader of /proc/PID/stat: the state letter, the parent, the process
// group and the start time that, with the pid, identifies a process across
// pid reuse.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

/// The fields of /proc/PID/stat that process supervision needs.
struct ProcStat {
  pid_t pid = 0;
  char state = '?';  ///< 'R', 'S', 'T' stopped, 'Z' zombie, ...
  pid_t ppid = 0;
  pid_t pgrp = 0;
  unsigned long long start_time = 0;  ///< field 22: clock ticks since boot
  /// Whether it has exited (a zombie, or dead).
  bool dead() const { return state == 'Z' || state == 'X'; }
};

/// Parses the text of /proc/PID/stat of process `pid`; nullopt when it is
/// not such a line. The command name is in parentheses and may itself
/// contain ") ", so the fields are counted after the *last* ')'.
std::optional<ProcStat> parse_proc_stat(pid_t pid, std::string_view text);

/// /proc/PID/stat of `pid`, or nullopt when there is no such process.
std::optional<ProcStat> read_proc_stat(pid_t pid);

/// Every process in /proc that could be read.
std::vector<ProcStat> list_processes();

/// The state letter of a process from /proc/PID/stat ('R', 'S', 'T' for
/// stopped, 'Z' for zombie, ...), or nullopt when there is no such process.
std::optional<char> process_state(pid_t pid);

/// The start time of a process (field 22 of /proc/PID/stat, clock ticks since
/// boot): with the pid, an identity that survives pid reuse. nullopt when
/// there is no such process.
std::optional<unsigned long long> process_start_time(pid_t pid);

/// Whether `pid` is alive and is still the process that had `start_time`.
bool same_process(pid_t pid, unsigned long long start_time);

/// The command line of `pid` (/proc/PID/cmdline, its NULs as spaces, no
/// trailing space; "" for a kernel thread or a zombie), or nullopt when there
/// is no such process. A process that exits between the open and the read
/// (the read fails with ESRCH) is gone, not an error: nullopt, never a throw.
std::optional<std::string> read_proc_cmdline(pid_t pid);

}  // namespace faultline
