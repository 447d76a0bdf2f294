#include "scenario/byte_size.hpp"

#include <fmt/format.h>
#include <charconv>
#include <cmath>

namespace faultline {

namespace {

struct SizeUnit {
  std::string_view name;
  double bytes;  ///< bytes per unit
};

constexpr SizeUnit kSizeUnits[] = {
    {"B", 1},        {"KB", 1e3},        {"MB", 1e6},           {"GB", 1e9},
    {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
};

constexpr double kMaxBytes = 4611686018427387904.0;  // 2^62

}  // namespace

std::optional<std::int64_t> parse_size(std::string_view text, std::string* error) {
  auto expected = [&](std::string_view why) -> std::optional<std::int64_t> {
    if (error)
      *error = fmt::format(
          "invalid size '{}': {}; write a number and a unit, e.g. \"100B\", \"4KiB\", \"1.5MB\", "
          "\"64MiB\" (units: B, KB, MB, GB, KiB, MiB, GiB)",
          text, why);
    return std::nullopt;
  };
  if (text.empty()) return expected("it is empty");
  std::size_t digits = 0;
  while (digits < text.size() &&
         ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.'))
    ++digits;
  if (digits == 0)
    return expected(text.starts_with("-") ? "it is negative" : "it does not start with a number");
  double number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, number);
  if (ec != std::errc() || end != text.data() + digits) return expected("the number is malformed");
  std::string_view unit = text.substr(digits);
  while (unit.starts_with(' ')) unit.remove_prefix(1);
  if (unit.empty()) {
    if (text.substr(0, digits).find('.') != std::string_view::npos)
      return expected("a fraction needs a unit");
    unit = "B";
  }
  for (const auto& u : kSizeUnits) {
    if (u.name != unit) continue;
    const double bytes = std::floor(number * u.bytes);
    if (!std::isfinite(bytes) || bytes < 0 || bytes > kMaxBytes)
      return expected("it is out of range");
    return static_cast<std::int64_t>(bytes);
  }
  return expected("the unit is unknown");
}

std::string format_size(std::int64_t bytes) {
  constexpr std::string_view names[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  std::size_t i = 0;
  while (v >= 1024 && i + 1 < std::size(names)) {
    v /= 1024;
    ++i;
  }
  std::string number = fmt::format("{:.2f}", v);
  while (number.back() == '0') number.pop_back();
  if (number.back() == '.') number.pop_back();
  return fmt::format("{} {}", number, names[i]);
}

}  // namespace faultline
