// Real-time priority for the harness's measuring threads (issue 15).
//
// A probe at 1 ms, or the stall watch at its period, must run when its
// timer fires, not when the kernel's fair scheduler next gets round to it:
// on a machine whose cores are busy (a CPU hog, a stress fault, a build
// beside the drill) an ordinary thread waits its turn, milliseconds, and
// the harness's own lateness would be measured as the system's. Under
// SCHED_FIFO a thread's wake-up preempts every ordinary one at once. The
// lowest real-time priority (1) is enough for that and leaves the kernel's
// own real-time threads ahead of it; SCHED_RESET_ON_FORK keeps any process
// the thread might start from inheriting it. The threads raised do little
// work each wake-up; the kernel's real-time throttling (by default 95 % of
// each second) bounds what a runaway one could take.
//
// Needs CAP_SYS_NICE (root has it); refused otherwise, or in a cgroup
// without real-time budget, and the thread then stays as it was.
#pragma once

namespace faultline {

/// Puts the calling thread (only it) at SCHED_FIFO priority 1, reset to
/// the ordinary policy in any child it forks. False when the kernel refuses.
bool raise_thread_to_realtime();

/// The calling thread's scheduling policy is SCHED_FIFO.
bool thread_is_realtime();

}  // namespace faultline
