// The crash ledger's files, written so that recording progress never needs
// a free block or a free descriptor at the moment it matters.
//
// Each copy of the ledger (run directory, state directory) is a file of a
// reserved size: the JSON text, then spaces up to the size, then a newline.
// A write first tries the usual way (a temporary beside the file, its space
// allocated with posix_fallocate, fsynced when durable, renamed over the
// file: atomic against any crash). When that fails (a full disk: ENOSPC; no
// descriptor: EMFILE), the text is written in place over the file's own
// blocks, which were allocated when it was written, through a descriptor
// opened before the first fault and kept open (LedgerFiles), so neither a
// block nor a descriptor is needed. A single pwrite of a regular file is
// not cut short by the death of its writer, so the watchdog, which reads the
// ledger only once the harness is gone, never sees a torn text; a power cut
// during an in-place write could tear it, which is why it is only the
// fallback.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "os/atomic_file.hpp"
#include "os/fd.hpp"

namespace faultline {

/// The smallest reserved size of a ledger copy (a ledger of about a hundred faults).
inline constexpr std::size_t kLedgerReserve = 64 * 1024;

/// One copy of the ledger, with its descriptor held open between writes.
class LedgerFile {
 public:
  explicit LedgerFile(std::filesystem::path path) : path_(std::move(path)) {}
  const std::filesystem::path& path() const { return path_; }

  /// Writes `text` (atomically when possible, else in place; see above).
  /// Returns "" when written atomically, a note saying it was written in
  /// place and why otherwise. Throws std::runtime_error naming the file and
  /// both failures when it could not be written at all.
  std::string write(std::string_view text, Durability durability);

  /// Closes the held descriptor.
  void close() { fd_.reset(); }

 private:
  std::filesystem::path path_;
  UniqueFd fd_;             ///< the current file (after the last rename)
  std::size_t reserved_ = 0;  ///< its size
};

/// Writes `text` to `path` in the ledger's format without holding anything
/// open (the watchdog's and `faultline cleanup`'s writes): atomically when
/// possible, else in place when the existing file is large enough.
/// Returns and throws as LedgerFile::write.
std::string write_ledger_file(const std::filesystem::path& path, std::string_view text, Durability durability);

}  // namespace faultline
