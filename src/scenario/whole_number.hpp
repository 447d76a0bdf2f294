// Whole numbers given on the command line (--seed, --iterations), checked in
// plain words before they are converted: a conversion library would turn
// "-1" into 18446744073709551615 or answer "0" with a range printed to 300
// digits. Pure functions; the CLI turns a problem into exit 2 naming the flag.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace faultline {

/// `text` as a whole number when it is one (decimal digits only, no sign, no
/// spaces) from `lo` to `hi`; otherwise nullopt and `why` in plain words,
/// e.g. "expected a whole number from 1 to 1000000, got '0'".
std::optional<std::uint64_t> parse_whole_number(const std::string& text, std::uint64_t lo, std::uint64_t hi,
                                                std::string& why);

}  // namespace faultline
