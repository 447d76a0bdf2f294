// The run's cgroup: a key that no process the run starts can escape. The
// harness moves itself into a cgroup of its own (cgroup v2, a child of the
// cgroup it was started in) after starting its watchdog and before starting
// anything else, so every process it starts from then on, every restart of a
// service included, is in it from its first instruction: a process cannot
// leave a cgroup by forking, setsid or a double fork, only by being moved
// by someone allowed to write cgroup.procs. So whatever kills the harness,
// the watchdog kills the whole cgroup (cgroup.kill: also the service spawned
// a moment before the harness died, before its pid reached the ledger, and
// the descendants that left their process group) and removes it.
//
// Best effort by design: where there is no writable cgroup v2 hierarchy (an
// unprivileged user, a read-only /sys/fs/cgroup, a kernel before 5.14
// without cgroup.kill) the run goes on with what it had before (the ledger,
// the subreaper, the reports to the watchdog) and says so.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace faultline {

/// Creates the cgroup of run `run_id` under this process's own
/// cgroup v2 and moves this process into it. Returns its path, or "" with
/// `why` set when there is none to be had.
std::filesystem::path enter_run_cgroup(const std::string& run_id, std::string& why);

/// Moves this process back to the cgroup it came from (the parent of
/// `cgroup`) and removes `cgroup` when nothing else is in it. Returns false
/// when it could not be removed (a process is left in it).
/// `parent_procs`: the parent's cgroup.procs opened beforehand
/// (open_parent_procs), so that leaving needs no free descriptor.
bool leave_run_cgroup(const std::filesystem::path& cgroup, int parent_procs = -1);

/// The parent's cgroup.procs of `cgroup`, open for writing (-1 on failure):
/// held by the harness from the start for leave_run_cgroup.
int open_parent_procs(const std::filesystem::path& cgroup);

/// The processes in `cgroup` (cgroup.procs), this process excluded.
std::vector<pid_t> cgroup_processes(const std::filesystem::path& cgroup);

/// Kills every process in `cgroup` (cgroup.kill, else SIGKILL to each
/// member, repeated until none is left) and removes it, waiting up to
/// `wait_ms` for the killed processes to be reaped by their parents (the
/// watchdog waits longer: an orphan's zombie keeps the cgroup busy until
/// PID 1 reaps it). Returns how many processes were in it; a missing
/// cgroup is 0.
int kill_run_cgroup(const std::filesystem::path& cgroup, int wait_ms = 2000);

}  // namespace faultline
