// Saved originals: the byte-for-byte copy of a file or directory that a
// fault is about to damage (file.corrupt), kept in the run directory so that
// the fault's revert, the watchdog and `faultline cleanup` can put it back.
//
// A copy is complete or absent: it is written under a temporary name beside
// its final one (`NAME.partial`), every file fsynced, then renamed into
// place and the directory fsynced. So the crash ledger may name the saved
// path before the copy exists (it must: the ledger is written before
// anything is changed), and whoever restores knows that a missing copy means
// the fault never got as far as changing anything.
//
// Restoring copies the saved tree to a temporary beside the target (same
// filesystem), fsyncs it and renames it over the target (a directory target
// is first renamed aside and removed after), so a crash in the middle leaves
// either the damaged or the restored version, never a mixture. Restoring is
// idempotent: the saved copy stays until the caller drops it.
#pragma once

#include <filesystem>
#include <string>

namespace faultline {

/// Copies `original` (a regular file, or a directory with its regular files,
/// subdirectories and symbolic links) to `saved`, complete or not at all,
/// with permission bits; fsynced. Throws std::runtime_error naming the path.
void save_copy(const std::filesystem::path& original, const std::filesystem::path& saved);

/// Puts the copy at `saved` back at `target`, byte for byte (whatever is at
/// `target` now, file, directory or nothing, is replaced). Returns "" when
/// done or when there is no copy (nothing was changed), else why not. Never throws.
std::string restore_copy(const std::filesystem::path& saved, const std::filesystem::path& target);

/// Removes a saved copy (and a partial one a killed writer left). Never throws.
void drop_copy(const std::filesystem::path& saved);

/// Whether the trees at `a` and `b` hold the same names, types, permission
/// bits and bytes. For tests and for reading a restore back.
bool same_tree(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace faultline
