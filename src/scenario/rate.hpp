// Data rates as users write them ("100KB/s", "1.5MiB/s", "8Mbit/s") and as
// plans and reports show them. The only place that turns text into a rate.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace faultline {

/// Parses a rate in bytes per second: a number (with an optional fraction)
/// then a unit, then "/s". Units: B, KB, MB, GB (powers of 1000), KiB, MiB,
/// GiB (powers of 1024), bit, kbit, Mbit, Gbit (bits, powers of 1000);
/// case-sensitive, since "Mb" and "MB" differ by a factor of 8. Returns
/// std::nullopt for anything else, zero or negative included, and then sets
/// `error` (when given) to a sentence that says what is expected.
std::optional<double> parse_rate(std::string_view text, std::string* error = nullptr);

/// Formats bytes per second for people: "100 KB/s", "1.5 MB/s", "512 B/s".
std::string format_rate(double bytes_per_second);

}  // namespace faultline
