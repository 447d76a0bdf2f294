// Durations as users write them ("250ms", "2s", "1m30s") and as reports show
// them (milliseconds with microsecond precision). Every time in faultline is a
// std::chrono::nanoseconds; this file is the only place that turns text into
// one or one into text.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace faultline {

using Nanos = std::chrono::nanoseconds;
using namespace std::chrono_literals;

/// Parses a duration with units: "250ms", "2s", "1m", "1m30s", "1.5s",
/// "500us", "100ns", "1h". A bare number without a unit is an error, and so
/// is a negative value or one that overflows 64-bit nanoseconds.
/// On error returns std::nullopt and, when `error` is given, a sentence that
/// says what is wrong and what is expected.
std::optional<Nanos> parse_duration(std::string_view text, std::string* error = nullptr);

/// Formats for people: "1.234567 s", "12.345 ms", "250 us" are avoided in
/// favour of one unit per report: milliseconds with microsecond precision,
/// e.g. "1234.567 ms".
std::string format_ms(Nanos d);

/// Formats compactly in the unit a user would write: "250ms", "2s", "1.5s",
/// "1m30s". Round-trips through parse_duration.
std::string format_duration(Nanos d);

/// Milliseconds as a double, for JSON and statistics.
double to_ms(Nanos d);

}  // namespace faultline
