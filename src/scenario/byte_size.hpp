// Sizes in bytes as users write them ("100B", "4KiB", "1.5MB", "64MiB", or a
// plain whole number of bytes) and as plans and reports show them. The only
// place that turns text into a size; file.corrupt and disk.full read theirs
// here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faultline {

/// Parses a size in bytes: a number (with an optional fraction) then a unit:
/// B, KB, MB, GB (powers of 1000), KiB, MiB, GiB (powers of 1024); a bare
/// whole number is bytes. Rounds down to whole bytes. Returns nullopt for
/// anything else (negative, not finite, above 2^62 bytes), and then sets
/// `error` (when given) to a sentence that says what is expected. Zero is
/// accepted; callers that need more say so themselves.
std::optional<std::int64_t> parse_size(std::string_view text, std::string* error = nullptr);

/// Formats bytes for people: "512 B", "4 KiB", "1.5 MiB" (powers of 1024).
std::string format_size(std::int64_t bytes);

}  // namespace faultline
