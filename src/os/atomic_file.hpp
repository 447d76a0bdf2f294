// Files that are either wholly there or not at all: written to a temporary
// beside the target, fsynced, then renamed over it.
#pragma once

#include <filesystem>
#include <string_view>

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
/// `.NAME.tmpPID` beside it. Throws std::runtime_error naming the path on
/// failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view content,
                       Durability durability = Durability::durable);

/// Removes the temporaries that writers of `path` left behind when they were
/// killed mid-write (`.NAME.tmpPID` whose PID is no longer running). Returns
/// how many were removed.
int remove_stale_temporaries(const std::filesystem::path& path);

}  // namespace faultline
