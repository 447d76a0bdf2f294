// Reading process state back from /proc, so that faults are verified by what
// the kernel says rather than by the exit code of whatever applied them.
#pragma once

#include <sys/types.h>

#include <optional>

namespace faultline {

/// The state letter of a process from /proc/PID/stat ('R', 'S', 'T' for
/// stopped, 'Z' for zombie, ...), or nullopt when there is no such process.
std::optional<char> process_state(pid_t pid);

}  // namespace faultline

namespace faultline {

/// The start time of a process (field 22 of /proc/PID/stat, clock ticks since
/// boot): with the pid, an identity that survives pid reuse. nullopt when
/// there is no such process.
std::optional<unsigned long long> process_start_time(pid_t pid);

/// Whether `pid` is alive and is still the process that had `start_time`.
bool same_process(pid_t pid, unsigned long long start_time);

}  // namespace faultline
