// file.corrupt's parameters and its damage, for its tests (the injector and
// the descriptor are in file_corrupt.cpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "record/record.hpp"

namespace faultline {

/// The parameters of one file.corrupt fault (scenarios/README.md).
struct FileCorruptParams {
  std::string path;  ///< relative to the target service's directory in the run directory
  std::string mode;  ///< flip, zero, truncate, garbage_tail, delete
  std::optional<std::int64_t> bits;    ///< flip: how many bits (distinct positions)
  std::optional<double> rate;          ///< flip: each bit's chance to flip
  std::int64_t offset = 0;             ///< zero: where the range starts
  std::optional<std::int64_t> length;  ///< zero: bytes zeroed; garbage_tail: bytes appended
  std::optional<std::int64_t> cut;     ///< truncate: bytes cut off the end
  std::optional<double> keep;          ///< truncate: fraction of the file kept
  bool permanent = false;              ///< no restore at revert
  /// Sizes that did not parse: (key, message), reported by the kind's check.
  std::vector<std::pair<std::string, std::string>> bad_sizes;
};

/// What corrupt_tree did.
struct Corruption {
  int files = 0;                     ///< regular files it changed (or removed)
  std::int64_t bytes = 0;            ///< bytes changed, zeroed, cut, appended or removed
  std::int64_t bits = 0;             ///< flip: bits flipped
  std::vector<std::string> offsets;  ///< the first few places changed ("FILE@OFFSET")
  bool more = false;                 ///< more places were changed than `offsets` names
  std::string text() const;          ///< "flipped 12 bits (12 bytes) in 1 file at a.aof@17, ..."
};

/// The record's account of `c`, done by mode `p.mode` to `p.path`: the
/// bytes split into changed in place (flip, zero), cut (truncate, delete)
/// and added (garbage_tail).
DataDamage damage_of(const Corruption& c, const FileCorruptParams& p);

/// Damages the file or directory `target` as `p` says, the draws seeded by
/// `seed` (the same seed on the same bytes damages the same places). A
/// directory's regular files are taken in path order as one stream (flip,
/// zero) or one by one (truncate, garbage_tail). Throws std::runtime_error.
Corruption corrupt_tree(const std::filesystem::path& target, const FileCorruptParams& p,
                        std::uint64_t seed);

}  // namespace faultline
