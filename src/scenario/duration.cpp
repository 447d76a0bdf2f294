#include "scenario/duration.hpp"

#include <cmath>
#include <cstdint>
#include <fmt/format.h>
#include <limits>

namespace faultline {

namespace {

struct Unit {
  std::string_view name;
  std::int64_t nanos;
};

// Longest names first so that "ms" is not read as "m" followed by "s".
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1'000},
    {"µs", 1'000},
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
};

bool fail(std::string* error, std::string msg) {
  if (error) *error = std::move(msg);
  return false;
}

}  // namespace

std::optional<Nanos> parse_duration(std::string_view text, std::string* error) {
  const std::string shown(text);
  auto expected = [&](std::string why) {
    fail(error, fmt::format("invalid duration '{}': {}; write a number with a unit, e.g. \"250ms\", "
                            "\"2s\", \"1m30s\" (units: ns, us, ms, s, m, h)",
                            shown, why));
    return std::nullopt;
  };
  if (text.empty()) return expected("it is empty");
  if (text.front() == '-') return expected("it is negative");
  if (text.front() == '+') text.remove_prefix(1);

  long double total = 0;
  bool any = false;
  while (!text.empty()) {
    // Number: digits with an optional fraction.
    std::size_t i = 0;
    long double whole = 0;
    bool digits = false;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      whole = whole * 10 + (text[i] - '0');
      ++i;
      digits = true;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        whole += scale * (text[i] - '0');
        scale /= 10;
        ++i;
        digits = true;
      }
    }
    if (!digits) return expected(fmt::format("expected a number at '{}'", text));
    text.remove_prefix(i);
    // Unit.
    const Unit* unit = nullptr;
    std::size_t ulen = 0;
    for (const auto& u : kUnits) {
      if (text.substr(0, u.name.size()) == u.name && u.name.size() > ulen) {
        // "m" must not swallow the "m" of "ms".
        unit = &u;
        ulen = u.name.size();
      }
    }
    if (!unit) {
      if (text.empty()) return expected("the unit is missing");
      return expected(fmt::format("unknown unit '{}'", text));
    }
    text.remove_prefix(ulen);
    total += whole * static_cast<long double>(unit->nanos);
    any = true;
    if (total > static_cast<long double>(std::numeric_limits<std::int64_t>::max()))
      return expected("it is too large (the maximum is about 292 years)");
  }
  if (!any) return expected("it is empty");
  return Nanos(static_cast<std::int64_t>(std::llround(total)));
}

double to_ms(Nanos d) { return static_cast<double>(d.count()) / 1e6; }

std::string format_ms(Nanos d) {
  // Microsecond precision, rounded half away from zero; computed on the
  // unsigned magnitude so that no value near the limits overflows.
  const bool negative = d.count() < 0;
  const std::uint64_t ns = negative ? 0 - static_cast<std::uint64_t>(d.count()) : static_cast<std::uint64_t>(d.count());
  const std::uint64_t us = ns / 1000 + (ns % 1000 >= 500 ? 1 : 0);
  return fmt::format("{}{}.{:03} ms", negative && us > 0 ? "-" : "", us / 1000, us % 1000);
}

std::string format_duration(Nanos d) {
  if (d.count() == 0) return "0s";
  std::string sign = d.count() < 0 ? "-" : "";
  // The magnitude as unsigned: negating the most negative value would overflow.
  const std::uint64_t ns = d.count() < 0 ? 0 - static_cast<std::uint64_t>(d.count())
                                         : static_cast<std::uint64_t>(d.count());
  auto exact = [&](std::uint64_t unit) { return ns % unit == 0; };
  if (ns >= 60'000'000'000 && exact(1'000'000'000)) {
    std::uint64_t s = ns / 1'000'000'000;
    std::string out = sign;
    if (s >= 3600 && s % 3600 == 0) return out + fmt::format("{}h", s / 3600);
    if (s / 60) out += fmt::format("{}m", s / 60);
    if (s % 60) out += fmt::format("{}s", s % 60);
    return out;
  }
  if (exact(1'000'000'000)) return sign + fmt::format("{}s", ns / 1'000'000'000);
  if (exact(1'000'000)) {
    if (ns >= 1'000'000'000) return sign + fmt::format("{}s", static_cast<double>(ns) / 1e9);
    return sign + fmt::format("{}ms", ns / 1'000'000);
  }
  if (exact(1'000)) return sign + fmt::format("{}us", ns / 1'000);
  return sign + fmt::format("{}ns", ns);
}

}  // namespace faultline
