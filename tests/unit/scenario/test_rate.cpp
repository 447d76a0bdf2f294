#include <doctest/doctest.h>

#include <string>

#include "scenario/rate.hpp"

using namespace faultline;

TEST_CASE("rate: units in bytes and bits, decimal and binary prefixes") {
  CHECK(*parse_rate("100KB/s") == doctest::Approx(100e3));
  CHECK(*parse_rate("1.5MiB/s") == doctest::Approx(1.5 * 1024 * 1024));
  CHECK(*parse_rate("8Mbit/s") == doctest::Approx(1e6));
  CHECK(*parse_rate("512B/s") == doctest::Approx(512));
  CHECK(*parse_rate("2GB/s") == doctest::Approx(2e9));
  CHECK(*parse_rate("1 KiB/s") == doctest::Approx(1024));
  CHECK(*parse_rate("100kbit/s") == doctest::Approx(12.5e3));
  CHECK(*parse_rate("1Gbit/s") == doctest::Approx(125e6));
  CHECK(*parse_rate("4bit/s") == doctest::Approx(0.5));
}

TEST_CASE("rate: what is refused, with a sentence saying why") {
  for (const char* bad : {"", "100KB", "KB/s", "-1KB/s", "0KB/s", "100kb/s", "100mb/s", "100/s", "1.2.3KB/s", "100 XB/s"}) {
    std::string why;
    INFO(bad);
    CHECK_FALSE(parse_rate(bad, &why));
    CHECK(why.find("invalid rate") == 0);
    CHECK(why.find("100KB/s") != std::string::npos);
  }
  std::string why;
  parse_rate("100kb/s", &why);
  CHECK(why.find("unit is unknown") != std::string::npos);
}

TEST_CASE("rate: format_rate picks a decimal unit") {
  CHECK(format_rate(512) == "512 B/s");
  CHECK(format_rate(100e3) == "100 KB/s");
  CHECK(format_rate(1.5e6) == "1.5 MB/s");
  CHECK(format_rate(2e9) == "2 GB/s");
  CHECK(format_rate(1024) == "1.024 KB/s");
}
