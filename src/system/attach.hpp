// Attach: a service that already runs on its [[host]] (a staging
// environment's own daemon), named by `attach = { systemd = "UNIT" }`,
// `{ pidfile = "PATH" }` or `{ match = "REGEX" }` (docs/distributed.md).
// faultline finds its pid there and its start time (field 22 of
// /proc/PID/stat, the identity every later signal is checked against, so a
// recycled pid is never signalled), and never starts or stops it: the clone
// records it as "attached" and leaves it at teardown. A restart goes
// through its own supervisor: `systemctl restart UNIT` for systemd; a pid
// file or a match names no supervisor, so process.restart is refused for
// those (documented; a kill lets the staging environment's own supervisor
// restart it, if it has one).
//
// Finding it costs one round trip: find_script() prints "PID STARTTIME" for
// systemd and pidfile; for match it lists "PID STARTTIME CMDLINE" of every
// process of the host but the script's own, and parse_match() picks the
// single line whose command line the regex finds (none or several: an error
// naming them).
#pragma once

#include <optional>
#include <string>

#include "scenario/scenario.hpp"

namespace faultline {

/// An attached service as found on its host.
struct AttachedProcess {
  long pid = 0;
  unsigned long long start_time = 0;  ///< /proc/PID/stat field 22 (clock ticks since boot)
};

/// The POSIX script that finds the process of `a` on its host (see atop).
std::string find_script(const AttachSpec& a);

/// Reads what find_script printed; nullopt with `why` when nothing (or, for
/// match, more than one process) fits.
std::optional<AttachedProcess> parse_found(const AttachSpec& a, const std::string& output, std::string& why);

/// The script that restarts an attached service through its supervisor, or
/// "" when it has none (pidfile, match). With `sudo` (the host says sudo =
/// true) a user other than root goes through `sudo -n`.
std::string supervisor_restart_script(const AttachSpec& a, bool sudo = false);

/// "systemd unit etcd.service", "pid file /run/x.pid", "command line matching /re/".
std::string describe_attach(const AttachSpec& a);

}  // namespace faultline
