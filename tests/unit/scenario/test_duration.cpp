#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "scenario/duration.hpp"

using namespace faultline;

namespace {

Nanos parsed(std::string_view text) {
  std::string error;
  auto d = parse_duration(text, &error);
  INFO("text: ", std::string(text), " error: ", error);
  REQUIRE(d.has_value());
  CHECK(error.empty());
  return *d;
}

std::string parse_error(std::string_view text) {
  std::string error;
  auto d = parse_duration(text, &error);
  INFO("text: ", std::string(text));
  CHECK_FALSE(d.has_value());
  CHECK_FALSE(error.empty());
  return error;
}

}  // namespace

TEST_CASE("duration: parses every unit") {
  CHECK(parsed("100ns") == 100ns);
  CHECK(parsed("500us") == 500us);
  CHECK(parsed("500µs") == 500us);
  CHECK(parsed("250ms") == 250ms);
  CHECK(parsed("2s") == 2s);
  CHECK(parsed("1m") == 60s);
  CHECK(parsed("1h") == 3600s);
  CHECK(parsed("0s") == 0ns);
  CHECK(parsed("0ms") == 0ns);
}

TEST_CASE("duration: compound and fractional values") {
  CHECK(parsed("1m30s") == 90s);
  CHECK(parsed("1h2m3s4ms") == 3600s + 120s + 3s + 4ms);
  CHECK(parsed("1.5s") == 1500ms);
  CHECK(parsed("0.25s") == 250ms);
  CHECK(parsed("1.5ms") == 1500us);
  CHECK(parsed("0.1s") == 100ms);
  CHECK(parsed("2m0.5s") == 120500ms);
  // "m" followed by "s" in one token is milliseconds, not minutes and seconds.
  CHECK(parsed("5ms") == 5ms);
  CHECK(parsed("5m5s") == 305s);
}

TEST_CASE("duration: the largest value that fits is accepted") {
  CHECK(parsed("9223372036854775807ns") == Nanos(std::numeric_limits<std::int64_t>::max()));
}

TEST_CASE("duration: errors say what is wrong") {
  CHECK(parse_error("").find("empty") != std::string::npos);
  CHECK(parse_error("5").find("unit is missing") != std::string::npos);
  CHECK(parse_error("1.5").find("unit is missing") != std::string::npos);
  CHECK(parse_error("-1s").find("negative") != std::string::npos);
  CHECK(parse_error("5x").find("unknown unit 'x'") != std::string::npos);
  CHECK(parse_error("5 s").find("unknown unit ' s'") != std::string::npos);
  CHECK(parse_error("s").find("expected a number") != std::string::npos);
  CHECK(parse_error("1s2").find("unit is missing") != std::string::npos);
  CHECK(parse_error("+").find("empty") != std::string::npos);
  // Every message names the input and shows examples.
  const std::string e = parse_error("10 seconds");
  CHECK(e.find("'10 seconds'") != std::string::npos);
  CHECK(e.find("\"250ms\"") != std::string::npos);
}

TEST_CASE("duration: overflow is an error, not a wrap-around") {
  CHECK(parse_error("9223372036854775808ns").find("too large") != std::string::npos);
  CHECK(parse_error("10000000h").find("too large") != std::string::npos);
  CHECK(parse_error("99999999999999999999999999s").find("too large") != std::string::npos);
  CHECK(parse_error("5000000h5000000h").find("too large") != std::string::npos);
}

TEST_CASE("duration: the error output is optional") {
  CHECK_FALSE(parse_duration("nope").has_value());
  CHECK(parse_duration("3s") == Nanos(3s));
}

TEST_CASE("duration: format_duration writes what a user would") {
  CHECK(format_duration(0ns) == "0s");
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(2s) == "2s");
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(1001ms) == "1.001s");
  CHECK(format_duration(90s) == "1m30s");
  CHECK(format_duration(60s) == "1m");
  CHECK(format_duration(3600s) == "1h");
  CHECK(format_duration(7200s) == "2h");
  CHECK(format_duration(3660s) == "61m");
  CHECK(format_duration(1500us) == "1500us");
  CHECK(format_duration(7ns) == "7ns");
  CHECK(format_duration(-2s) == "-2s");
  CHECK(format_duration(-250ms) == "-250ms");
}

TEST_CASE("duration: format_duration round-trips through parse_duration") {
  const Nanos values[] = {1ns,
                          999ns,
                          1us,
                          1ms,
                          50ms,
                          999ms,
                          1s,
                          1001ms,
                          59999ms,
                          61s,
                          3599s,
                          3601s,
                          86400s,
                          Nanos(1'234'567'891),
                          Nanos(123'456'789'000),
                          Nanos(9'223'372'036'854'000'000),
                          Nanos(std::numeric_limits<std::int64_t>::max())};
  for (Nanos v : values) {
    INFO("value: ", v.count(), " formatted: ", format_duration(v));
    auto back = parse_duration(format_duration(v));
    REQUIRE(back.has_value());
    CHECK(back->count() == v.count());
  }
}

TEST_CASE("duration: format_duration of the most negative value does not overflow") {
  CHECK(format_duration(Nanos(std::numeric_limits<std::int64_t>::min())) == "-9223372036854775808ns");
}

TEST_CASE("duration: format_ms shows milliseconds with microsecond precision") {
  CHECK(format_ms(0ns) == "0.000 ms");
  CHECK(format_ms(1'234'567ns) == "1.235 ms");
  CHECK(format_ms(1'234'567'891ns) == "1234.568 ms");
  CHECK(format_ms(1499ns) == "0.001 ms");
  CHECK(format_ms(1500ns) == "0.002 ms");
  CHECK(format_ms(250ms) == "250.000 ms");
  CHECK(format_ms(-1500ns) == "-0.002 ms");
  CHECK(format_ms(-250ms) == "-250.000 ms");
  CHECK(format_ms(-400ns) == "0.000 ms");  // no "-0.000"
  CHECK(format_ms(Nanos(std::numeric_limits<std::int64_t>::max())) == "9223372036854.776 ms");
  CHECK(format_ms(Nanos(std::numeric_limits<std::int64_t>::min())) == "-9223372036854.776 ms");
}

TEST_CASE("duration: to_ms") {
  CHECK(to_ms(250ms) == doctest::Approx(250.0));
  CHECK(to_ms(1500us) == doctest::Approx(1.5));
  CHECK(to_ms(0ns) == 0.0);
}
