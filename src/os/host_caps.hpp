// What this host can do for network = "namespaces", found by trying rather
// than guessed from the kernel version: a throwaway namespace with a veth
// pair gets an nft table, a tbf and a netem qdisc, and is
// deleted again. `faultline doctor` prints the table; validate, plan and run
// refuse, in one line per problem naming what is missing and what to use
// instead, a namespace scenario that needs something the host lacks, before
// anything is built (nothing half-applies).
//
// The throwaway namespace is named fl-probe-PID-START (the prober's pid and
// start time), which no run's tag can be (a tag is six hex digits), so that
// one left by a prober that was killed half-way (validate, doctor or run
// SIGKILLed in its first tens of milliseconds) is recognised as stale by
// anyone: every probe and `faultline cleanup` delete those whose prober is
// gone (with them go the veth pair, the qdiscs and the nft table inside).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scenario/diagnostics.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// One capability and whether this host has it.
struct HostCap {
  std::string name;      ///< "root or CAP_NET_ADMIN", "network namespaces", "nftables", "tbf", "netem", "pidfd"
  bool present = false;
  std::string detail;    ///< how it was found, or why it is missing
  std::string disables;  ///< what cannot be used without it
};

/// Every capability faultline's namespace mode may need.
struct HostCaps {
  HostCap net_admin;
  HostCap namespaces;
  HostCap nftables;
  HostCap tbf;
  HostCap netem;
  HostCap pidfd;
  /// Mounting a tmpfs (root or CAP_SYS_ADMIN): disk.full's run-owned filesystem.
  HostCap mount;
  /// The cgroup controllers of the resource kinds (v1 or v2, resource_cgroup.hpp).
  HostCap cgroup_cpu;
  HostCap cgroup_memory;
  HostCap cgroup_io;
  /// Debian's libfaketime: clock.skew's preload.
  HostCap faketime;
  std::vector<const HostCap*> all() const {
    return {&net_admin, &namespaces, &nftables, &tbf, &netem, &pidfd, &mount, &cgroup_cpu, &cgroup_memory,
            &cgroup_io, &faketime};
  }
};

/// Tries each capability on this host (in a namespace of its own, deleted
/// before it returns). Takes a few tens of milliseconds.
HostCaps probe_host_caps();

/// The name of the probe namespace of the process (pid, start time).
std::string probe_netns_name(int pid, unsigned long long start_time);

/// The prober (pid, start time) named by a probe namespace's name, or
/// nullopt when `name` is not one. The `fl-probe-PID` of earlier versions
/// gives start time 0 (unknown: stale once PID is not running at all).
std::optional<std::pair<int, unsigned long long>> probe_netns_owner(const std::string& name);

/// Deletes every probe namespace whose prober is no longer running (found
/// with `ip netns list`); returns the names deleted. Never throws: a failure
/// to delete one is reported in `failed` ("NAME: why"), unless the namespace
/// is gone all the same (another sweep, running at once, deleted it).
std::vector<std::string> remove_stale_probe_namespaces(std::vector<std::string>* failed = nullptr);

/// The problems of running `s` on a host with `caps`: none unless `s` uses
/// network = "namespaces"; then one per missing capability it needs, at the
/// key or fault that needs it.
std::vector<Diagnostic> host_check(const Scenario& s, const HostCaps& caps);

/// The `faultline doctor` table: one row per capability (yes/NO, what it
/// disables when missing, how it was found).
std::string render_doctor(const HostCaps& caps);

}  // namespace faultline
