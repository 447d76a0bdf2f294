// Decimal digits, accumulated with an overflow check; anything else (a sign,
// a space, an exponent, a fraction) is refused, and the message quotes at
// most 40 characters of what was given.
#include "scenario/whole_number.hpp"

#include <fmt/format.h>

#include <limits>

namespace faultline {

std::optional<std::uint64_t> parse_whole_number(const std::string& text, std::uint64_t lo, std::uint64_t hi,
                                                std::string& why) {
  const std::string shown = text.size() > 40 ? text.substr(0, 40) + "..." : text;
  const std::string range = fmt::format("a whole number from {} to {}", lo, hi);
  bool digits = !text.empty();
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  if (!digits) {
    why = text.starts_with("-") ? fmt::format("expected {}, got '{}' (negative numbers are not allowed)", range, shown)
                                : fmt::format("expected {}, got '{}'", range, shown);
    return std::nullopt;
  }
  std::uint64_t v = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  for (char c : text) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (kMax - d) / 10) {
      why = fmt::format("expected {}, got '{}' (too large)", range, shown);
      return std::nullopt;
    }
    v = v * 10 + d;
  }
  if (v < lo || v > hi) {
    why = fmt::format("expected {}, got '{}'{}", range, shown, v > hi ? " (too large)" : "");
    return std::nullopt;
  }
  return v;
}

}  // namespace faultline
