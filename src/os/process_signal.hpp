// Signals to processes the run identified, never to a recycled pid.
//
// A single process is signalled through a pidfd (pidfd_open +
// pidfd_send_signal, Linux >= 5.3): the pidfd is opened first, then the
// process's start time is checked (procfs.hpp). If it matches, the pidfd
// refers to that very process (a pid cannot be reused while its process
// lives), and a signal sent through it after the process died fails with
// ESRCH instead of reaching whoever got the pid next.
//
// A process group has no pidfd. Group signals check the identity of the
// group's leader (pid and start time) right before kill(-pgid). When the
// leader is gone but the number is not a live process, members of the group
// may remain: the kernel does not hand out a pid number that is still some
// group's id, so those members are the run's. What is left is a window of
// microseconds between the check and kill() in which the last member exits
// and a new process takes the number and makes itself a group leader.
//
// PID 1, the harness itself and registered pids (its watchdog) are never
// signalled, whatever the caller asks.
#pragma once

#include <sys/types.h>

#include "os/fd.hpp"

namespace faultline {

/// Never signal `pid` from now on (the watchdog).
void protect_pid(pid_t pid);

/// Whether `pid` may never be signalled: <= 1, this process, or protected.
bool is_protected_pid(pid_t pid);

/// A pidfd of `pid` (pidfd_open(2)); invalid when it failed (the process
/// is gone, or the kernel is older than 5.3).
UniqueFd open_pidfd(pid_t pid);

/// Sends `sig` through an open pidfd; false on failure (ESRCH: it is gone).
bool pidfd_signal(int pidfd, int sig);

/// Sends `sig` to `pid` if it is still the process that started at
/// `start_time`, through a pidfd. False when it is gone, is another process
/// now, or is protected.
bool signal_process(pid_t pid, unsigned long long start_time, int sig);

/// Sends `sig` to process group `pgid` if its leader is still the process
/// that started at `leader_start_time`, or is gone without its number being
/// reused (see above). False when nothing was signalled.
bool signal_group(pid_t pgid, unsigned long long leader_start_time, int sig);

}  // namespace faultline
