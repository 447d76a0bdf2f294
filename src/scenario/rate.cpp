#include "scenario/rate.hpp"

#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace faultline {

namespace {

struct RateUnit {
  std::string_view name;
  double bytes;  ///< bytes per unit
};

constexpr RateUnit kRateUnits[] = {
    {"B", 1},          {"KB", 1e3},        {"MB", 1e6},        {"GB", 1e9},
    {"KiB", 1024.0},   {"MiB", 1048576.0}, {"GiB", 1073741824.0},
    {"bit", 1.0 / 8},  {"kbit", 1e3 / 8},  {"Mbit", 1e6 / 8},  {"Gbit", 1e9 / 8},
};

}  // namespace

std::optional<double> parse_rate(std::string_view text, std::string* error) {
  auto expected = [&](std::string_view why) -> std::optional<double> {
    if (error)
      *error = fmt::format("invalid rate '{}': {}; write a number, a unit and \"/s\", e.g. \"100KB/s\", "
                           "\"1.5MiB/s\", \"8Mbit/s\" (units: B, KB, MB, GB, KiB, MiB, GiB, bit, kbit, Mbit, Gbit)",
                           text, why);
    return std::nullopt;
  };
  if (text.empty()) return expected("it is empty");
  if (!text.ends_with("/s")) return expected("it does not end with \"/s\"");
  std::string_view body = text.substr(0, text.size() - 2);
  std::size_t digits = 0;
  while (digits < body.size() && ((body[digits] >= '0' && body[digits] <= '9') || body[digits] == '.')) ++digits;
  if (digits == 0) return expected(body.starts_with("-") ? "it is negative" : "it does not start with a number");
  double number = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + digits, number);
  if (ec != std::errc() || end != body.data() + digits) return expected("the number is malformed");
  std::string_view unit = body.substr(digits);
  while (unit.starts_with(' ')) unit.remove_prefix(1);
  for (const auto& u : kRateUnits) {
    if (u.name != unit) continue;
    const double rate = number * u.bytes;
    if (!(rate > 0) || !std::isfinite(rate)) return expected("it must be greater than zero");
    return rate;
  }
  return expected(unit.empty() ? "the unit is missing" : "the unit is unknown");
}

std::string format_rate(double bytes_per_second) {
  constexpr std::string_view names[] = {"B/s", "KB/s", "MB/s", "GB/s"};
  double v = bytes_per_second;
  std::size_t i = 0;
  while (v >= 1000 && i + 1 < std::size(names)) {
    v /= 1000;
    ++i;
  }
  std::string number = fmt::format("{:.3f}", v);
  while (number.back() == '0') number.pop_back();
  if (number.back() == '.') number.pop_back();
  return fmt::format("{} {}", number, names[i]);
}

}  // namespace faultline
