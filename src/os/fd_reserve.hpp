// Descriptors held in reserve for the revert. A run that exhausted its
// descriptors (its own probes, a leak, `ulimit -n` set low) must still be
// able to undo its faults: the revert of an exec fault starts a command
// (pipes, a pidfd), a pause's revert opens a pidfd. So the process guards
// open a few descriptors on /dev/null before the first fault, and each
// revert closes them just before it acts (the kernel hands out the lowest
// free numbers, so the revert's own opens get them) and takes them back
// afterwards where it can.
#pragma once

namespace faultline {

/// How many descriptors are held in reserve: enough for a revert command
/// (two pipes, a pidfd, /dev/null, the exec error pipe) twice over.
inline constexpr int kReservedDescriptors = 16;

/// Opens descriptors on /dev/null until kReservedDescriptors are held
/// (fewer when none is free). Returns how many are held.
int reserve_descriptors();

/// Closes every reserved descriptor, for the revert about to act.
void release_reserved_descriptors();

}  // namespace faultline
