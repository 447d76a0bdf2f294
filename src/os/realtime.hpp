// Real-time priority for the harness's network probes (issue 15).
//
// A probe at 1 ms must run when its timer fires, not when the kernel's fair
// scheduler next gets round to it: on a machine whose cores are busy (a CPU
// hog, a stress fault, a build beside the drill) an ordinary thread waits
// its turn, milliseconds, and the harness's own lateness would be measured
// as the system's. Under SCHED_FIFO a thread's wake-up preempts every
// ordinary one at once. The lowest real-time priority (1) is enough for
// that and leaves the kernel's own real-time threads ahead of it;
// SCHED_RESET_ON_FORK keeps any process or thread it starts from
// inheriting it.
//
// The risk is a thread that falls behind: at real-time priority it never
// yields to the ordinary processes on its core, the system under test
// among them (the kernel's real-time throttling leaves them 5 % of each
// second by default, nothing where it is turned off). So its user watches
// its CPU time (thread_cpu_time) and lowers it back (lower_thread_to_ordinary)
// when it uses most of a core (run/scheduler.cpp).
//
// Allowed with CAP_SYS_NICE (root has it outside containers; a container
// needs --cap-add SYS_NICE) or an RLIMIT_RTPRIO of at least 1; refused
// otherwise, or in a cgroup without real-time budget, and the thread then
// stays as it was.
//
// A thread at real-time priority that waits for a lock an ordinary thread
// holds would wait as long as a busy machine keeps that thread preempted:
// the locks they share are PriorityInheritingMutex.
#pragma once

#include <pthread.h>

#include <chrono>

namespace faultline {

/// Puts the calling thread (only it) at SCHED_FIFO priority 1, reset to
/// the ordinary policy in any child it starts. False when the kernel refuses.
bool raise_thread_to_realtime();

/// Puts the calling thread back at the ordinary policy (SCHED_OTHER).
void lower_thread_to_ordinary();

/// The calling thread's scheduling policy is SCHED_FIFO.
bool thread_is_realtime();

/// The CPU time the calling thread has used (user and system).
std::chrono::nanoseconds thread_cpu_time();

/// A mutex with priority inheritance (PTHREAD_PRIO_INHERIT): while a
/// real-time thread waits for it, the ordinary thread holding it runs at
/// the waiter's priority until it lets go. BasicLockable (std::lock_guard).
class PriorityInheritingMutex {
 public:
  PriorityInheritingMutex();
  ~PriorityInheritingMutex();
  PriorityInheritingMutex(const PriorityInheritingMutex&) = delete;
  PriorityInheritingMutex& operator=(const PriorityInheritingMutex&) = delete;
  void lock();
  void unlock();

 private:
  pthread_mutex_t mutex_;
};

}  // namespace faultline
