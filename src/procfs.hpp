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
