// The filesystems a run mounts itself (disk.full: a service's data
// directory on a tmpfs of a declared size, so that filling it fills nothing
// of the host's). Each mount point is written to the crash ledger before it
// is mounted (Ledger::mounts), so that the run's teardown, the watchdog and
// `faultline cleanup` unmount it on every exit path, once the processes that
// could hold it busy are gone.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace faultline {

/// Mounts a tmpfs of `size` bytes (rounded up to pages by the kernel) at
/// `dir`, which must exist; mode 0755, nosuid, nodev. Root (CAP_SYS_ADMIN)
/// only. Throws std::runtime_error naming the directory and the reason.
void mount_run_tmpfs(const std::filesystem::path& dir, std::int64_t size);

/// Whether `dir` is a mount point (/proc/self/mountinfo lists it).
bool is_mount_point(const std::filesystem::path& dir);

/// The device ("MAJOR:MINOR", as /proc/self/mountinfo writes it) of the
/// top mount at `dir`, the last one listed there; "" when none is. Read
/// without a stat of `dir`, so that a FUSE mount whose server is busy or
/// gone answers too.
std::string top_mount_device(const std::filesystem::path& dir);

/// Unmounts `dir`; when it is busy, detaches it (lazily: gone from the
/// tree at once, freed when the last user goes). Not mounted (any more) or
/// absent counts as done. Returns "" when done, else why not. Never throws.
std::string unmount_run_mount(const std::filesystem::path& dir);

/// The size and the free bytes of the filesystem holding `dir` (statvfs),
/// for non-root users too; throws std::runtime_error.
struct FsSpace {
  std::int64_t size = 0;
  std::int64_t free = 0;  ///< available to unprivileged writers
};
FsSpace filesystem_space(const std::filesystem::path& dir);

}  // namespace faultline
