// Files that are either wholly there or not at all: written to a temporary
// beside the target, fsynced, then renamed over it.
//
// The temporary is named `.NAME.tmpPID` (PID: the writer's), so that one a
// killed writer left is recognised by anyone: the next writer of the same
// path removes those of dead writers before it writes, and `faultline
// cleanup` sweeps the directories it knows (remove_stale_temporaries_in).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

/// How far a write must have reached before write_file_atomic returns.
enum class Durability {
  /// On disk: the file and the rename are fsynced (survives a power cut).
  durable,
  /// In the page cache: atomic against a crash of the writer (any reader,
  /// such as the watchdog, sees the old or the new file, never a torn one)
  /// but not fsynced, so a power cut may bring back the previous version.
  /// Costs microseconds instead of the milliseconds of an fsync.
  crash_safe,
};

/// Writes `content` to `path` atomically, through a temporary
/// `.NAME.tmpPID` beside it, after removing the temporaries dead writers of
/// `path` left (remove_stale_temporaries). Throws std::runtime_error naming the path on
/// failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view content,
                       Durability durability = Durability::durable);

/// Removes the temporaries that writers of `path` left behind when they were
/// killed mid-write (`.NAME.tmpPID` whose PID is no longer running). Returns
/// how many were removed.
int remove_stale_temporaries(const std::filesystem::path& path);

/// Removes every temporary of a dead writer (`.NAME.tmpPID`, any NAME) in
/// `dir`. Returns the paths removed.
std::vector<std::filesystem::path> remove_stale_temporaries_in(const std::filesystem::path& dir);

/// Whether `name` (a file name) is such a temporary; its writer's pid in `pid`.
bool is_temporary_name(const std::string& name, int& pid);

}  // namespace faultline
