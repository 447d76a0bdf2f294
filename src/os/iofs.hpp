// A FUSE passthrough filesystem served by a thread of this process, mounted
// over a directory (file.io: a service's data directory in the run), that
// fails or slows the operations its rules select. Every operation goes to
// the directory underneath through a descriptor opened before the mount
// hid it; with no rule, the bytes, sizes, modes and names are the
// underlying ones. Files are opened with direct_io, so that every read and
// write reaches the rules (none is served from the page cache); a shared
// writable mmap of a file under it is refused by kernels before 6.6.
//
// Served in-process, not by a program of its own: a server that outlives a
// killed harness would keep a service's files working for no one's benefit,
// while one that dies with it turns every access under the mount into
// ENOTCONN at once and leaves a mount that umount(2) removes all the same
// (the watchdog and `faultline cleanup` do, from the crash ledger:
// run_mounts.hpp).
//
// Undone by unmounting it, which ends the connection and with it the
// serving loop, unless a copy of the mount lives on in another mount
// namespace: a process that made one of its own while the filesystem was
// mounted (`ip netns exec`, which a concurrent run in network = "namespaces"
// starts its services with; unshare(1)) holds it until it exits. stop()
// then aborts the connection through the FUSE control filesystem, so that
// no run waits on another's processes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "os/clock.hpp"

namespace faultline {

/// Operations a rule selects (a bit mask).
enum IoOp : unsigned {
  io_open = 1u << 0,   ///< open(2) and creat(2) of files
  io_read = 1u << 1,   ///< read(2), pread(2), ...
  io_write = 1u << 2,  ///< write(2), pwrite(2), ...; also ftruncate(2) and fallocate(2)
  io_fsync = 1u << 3,  ///< fsync(2) and fdatasync(2)
};

/// What one fault asks of the operations it selects.
struct IoRule {
  std::string path = "*";    ///< fnmatch(3) glob on the path relative to the mount ('*' crosses '/')
  unsigned ops = io_read | io_write | io_fsync;
  int error = 0;             ///< errno the operation fails with; 0 = it does not fail
  Nanos delay{0};            ///< how long it is held before it runs (or fails)
  double probability = 1;    ///< of acting on each selected operation, drawn from `seed`
  std::uint64_t seed = 0;
};

/// What a rule did while it was set.
struct IoCounts {
  std::int64_t matched = 0;  ///< operations it selected (before the draw)
  std::int64_t failed = 0;
  std::int64_t delayed = 0;
};

/// A mounted passthrough filesystem. Not movable; one per mount point.
class IoFs {
 public:
  /// Opens `dir` and mounts the filesystem over it (root: CAP_SYS_ADMIN and
  /// /dev/fuse), serving it from a thread. Throws std::runtime_error.
  static std::unique_ptr<IoFs> mount(const std::filesystem::path& dir);
  ~IoFs();
  IoFs(const IoFs&) = delete;
  IoFs& operator=(const IoFs&) = delete;

  /// Sets rule `id` (replacing one of the same id): from now on, every
  /// operation it selects is acted on with its probability.
  void set_rule(std::uint64_t id, const IoRule& rule);
  /// Removes rule `id` (none: nothing) and wakes the operations it holds;
  /// returns what it did.
  IoCounts clear_rule(std::uint64_t id);
  /// What rule `id` did so far.
  IoCounts counts(std::uint64_t id) const;

  /// Waits for the serving thread once the mount is gone (unmount_run_mount),
  /// and releases the session. Still mounted: detaches its own mount first
  /// (only when it is the top one at the directory). A copy of the mount
  /// held in another mount namespace keeps the connection open: after a
  /// second, the connection is aborted (abort_fuse_connection). Idempotent.
  void stop();

  struct Impl;

 private:
  IoFs() = default;
  std::unique_ptr<Impl> impl_;
};

/// Aborts the FUSE connection of the mount with `device` ("MAJOR:MINOR",
/// top_mount_device()) through the FUSE control filesystem, mounting that
/// for the moment in a private mount namespace when it is not mounted at
/// /sys/fs/fuse/connections: the serving loop ends, and every access
/// through any copy of the mount left fails with ENOTCONN. Root only;
/// false when it could not. Never throws.
bool abort_fuse_connection(const std::string& device);

/// Whether this process could mount one: root and a usable /dev/fuse.
/// Returns "" when it can, else why not.
std::string iofs_unavailable();

/// The process's served filesystems, by mount point, for the run
/// (run_mounts.cpp mounts and stops them; the file.io injector finds its own).
void serve_iofs(const std::filesystem::path& dir);
IoFs* served_iofs(const std::filesystem::path& dir);
/// Stops and forgets the one at `dir` (none: nothing). Call after unmounting.
void stop_iofs(const std::filesystem::path& dir);

}  // namespace faultline
