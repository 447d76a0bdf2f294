// The cgroups a run makes for the services its resource faults act on
// (resource.cpu, resource.memory, resource.io, stress): one per service,
// made before the service starts so that every process of it is inside from
// its first instruction, and removed at the end of the run.
//
// Two interfaces, one seam. Where the host's cgroup v2 hierarchy offers a
// controller (its cgroup.controllers lists cpu, memory or io), the service's
// cgroup is one v2 directory, a sibling of the run's cgroup (run_cgroup.hpp:
// the harness is in that one, and v2 allows no controller in a cgroup that
// holds processes and has children); its limits are cpu.max, memory.max and
// memory.high, io.max (rbps, wbps, riops, wiops). Where it does not but a v1 hierarchy of that
// controller is mounted (/sys/fs/cgroup/cpu, memory, blkio: the development
// and CI machines, whose cgroup2 holds no cpu or memory controller), the
// service gets one directory in each such hierarchy, under this process's
// own cgroup there: cpu.cfs_quota_us over cpu.cfs_period_us,
// memory.limit_in_bytes (and memory.memsw.limit_in_bytes when the kernel
// accounts swap), blkio.throttle.{read,write}_{bps,iops}_device. CgroupControls is
// the interface; which implementation a service gets is decided by what its
// directories hold (cgroup.controllers: v2), so the tests drive both against
// a fake tree of plain files.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace faultline {

/// The controllers a resource fault may need.
enum class CgroupController { cpu, memory, io };

/// "cpu", "memory", "io".
std::string controller_name(CgroupController c);

/// Where this host offers each controller: a v2 base directory (the
/// harness's cgroup's parent, whose children may enable it) or a v1 base
/// (this process's cgroup in that controller's hierarchy).
struct CgroupLayout {
  struct Place {
    int version = 0;              ///< 1, 2; 0 = not offered
    std::filesystem::path base;   ///< where a service's cgroup is made
    std::string why;              ///< version 0: why not
  };
  std::map<CgroupController, Place> places;
  /// The place of `c` (version 0 with a reason when absent).
  Place at(CgroupController c) const;
};

/// What this host offers, from `mounts` (/proc/self/mounts) and `cgroups`
/// (/proc/self/cgroup); `run_cgroup` is the harness's v2 run cgroup, if it
/// entered one (its parent is the v2 base then). A controller needs a
/// writable base. Never throws.
CgroupLayout probe_cgroup_layout(const std::filesystem::path& mounts = "/proc/self/mounts",
                                 const std::filesystem::path& cgroups = "/proc/self/cgroup",
                                 const std::filesystem::path& run_cgroup = {});

/// Why this host cannot give a service a cgroup with `c` ("" when it can):
/// not root, or no v1 or v2 controller.
std::string cgroup_refusal(const CgroupLayout& layout, CgroupController c);

/// The directories of service `service`'s cgroup for run `run_id` with the
/// controllers `want` (one per v1 hierarchy, one for v2; each named
/// faultline-RUNID-SERVICE), not made yet.
std::vector<std::filesystem::path> plan_service_cgroup(const CgroupLayout& layout, const std::string& run_id,
                                                       const std::string& service,
                                                       const std::vector<CgroupController>& want);

/// Makes `dir` (its v2 parent's subtree_control gets the controllers it
/// needs). Throws std::runtime_error with the reason.
void make_service_cgroup(const std::filesystem::path& dir);

/// Kills what is left in `dir` (SIGKILL to every member, repeated) and
/// removes it; "" when gone (or never made), else why not. Never throws.
std::string remove_service_cgroup(const std::filesystem::path& dir, int wait_ms = 2000);

/// `argv` started so that its process joins every cgroup of `dirs` before
/// it execs: a shell writes its own pid to each cgroup.procs, then execs the
/// command (same pid; every child it makes is inside from birth). `argv`
/// itself when `dirs` is empty.
std::vector<std::string> join_cgroups_argv(const std::vector<std::filesystem::path>& dirs,
                                           std::vector<std::string> argv);

/// A cgroup's I/O limits on one block device (throttling, per second).
struct IoLimits {
  std::optional<std::int64_t> read_bps, write_bps;    ///< bytes per second
  std::optional<std::int64_t> read_iops, write_iops;  ///< operations per second
  bool operator==(const IoLimits&) const = default;
};

/// A service cgroup's limits, whichever interface holds them. Every setter
/// writes the files and reads them back; throws std::runtime_error naming
/// the file and the kernel's answer.
class CgroupControls {
 public:
  virtual ~CgroupControls() = default;
  /// "cgroup v1", "cgroup v2".
  virtual std::string version() const = 0;
  /// At most `cores` CPUs' worth of time (0.1 = 10% of one core) per period.
  virtual void set_cpu(double cores, std::int64_t period_us = 100000) = 0;
  virtual void clear_cpu() = 0;
  /// The hard limit (v1 limit_in_bytes, v2 memory.max); `high`: v2's
  /// throttling threshold (v1 has none: refused at validation).
  virtual void set_memory(std::int64_t max, std::optional<std::int64_t> high) = 0;
  virtual void clear_memory() = 0;
  /// The I/O limits on block device "MAJ:MIN" now (none = unlimited).
  virtual IoLimits io_limits(const std::string& device) const = 0;
  /// Sets every I/O limit on block device "MAJ:MIN" (a nullopt one is
  /// unlimited: v2 "max", v1 rule removed).
  virtual void set_io(const std::string& device, const IoLimits& limits) = 0;
  /// Every I/O limit on `device` unlimited.
  void clear_io(const std::string& device) { set_io(device, {}); }
  /// How many processes of the cgroup the kernel's OOM killer killed so far.
  virtual std::int64_t oom_kills() const = 0;
  /// The cgroup's processes.
  virtual std::vector<pid_t> processes() const = 0;
};

/// The controls of a service cgroup made of `dirs` (plan_service_cgroup):
/// v2 when a directory holds cgroup.controllers, else v1 by the files each
/// holds (cpu.cfs_quota_us, memory.limit_in_bytes, blkio.throttle.*).
std::unique_ptr<CgroupControls> cgroup_controls(const std::vector<std::filesystem::path>& dirs);

/// "MAJ:MIN" of the block device holding `path` (a file, a directory or a
/// block device node itself), or "" with `why` set (a filesystem with no
/// block device: tmpfs, overlay, a partition whose disk cannot be found).
/// Partitions are given as their whole disk (throttling applies to disks).
std::string block_device_of(const std::filesystem::path& path, std::string& why);

}  // namespace faultline
