// A run directory belongs to one run. The run holds an flock(2) on
// RUN_DIR/.faultline-lock for its whole life (and its watchdog, which
// inherits the open file, until it has reverted what a killed run left), so
// a second run given the same --out is refused at once, and the kernel
// releases the lock when the holders die: there is no stale lock to clear.
//
// A directory that already holds anything but the lock is refused too
// (a run started into the previous run's data directory would hide a data
// loss), unless --force, which empties it first: only a directory that
// looks like a faultline run directory (it holds run.json, ledger.json, a
// logs/ or services/ folder, or the lock) is emptied; anything else is
// refused even with --force, so a mistyped --out never deletes a home.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "os/fd.hpp"

namespace faultline {

/// The lock file's name inside a run directory.
inline constexpr const char* kRunDirLockName = ".faultline-lock";

/// The lock of one run directory, released when destroyed (or when the
/// process and every process that inherited it have died).
class RunDirLock {
 public:
  /// Creates `dir` if needed and takes its lock without waiting; nullopt and
  /// `why` (in plain words, naming the run that holds it when known) when
  /// another process holds it or it cannot be taken.
  static std::optional<RunDirLock> acquire(const std::filesystem::path& dir, std::string& why);

 private:
  explicit RunDirLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

/// What `dir` holds besides the lock file (file names, sorted; empty when
/// `dir` does not exist).
std::vector<std::string> run_dir_entries(const std::filesystem::path& dir);

/// Whether entries (as run_dir_entries gives them) are those of a faultline
/// run directory: every entry is one a run writes (run.json, ledger.json,
/// report.html, junit.xml, summary.md, logs/, services/, their temporaries,
/// or a scenario's own run directory of a multi-scenario run).
bool looks_like_run_dir(const std::filesystem::path& dir);

/// Removes everything in `dir` but the lock file. Throws
/// std::filesystem::filesystem_error naming what could not be removed.
void empty_run_dir(const std::filesystem::path& dir);

}  // namespace faultline
