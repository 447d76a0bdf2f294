#include <doctest/doctest.h>

#include "scenario/byte_size.hpp"

using namespace faultline;

TEST_CASE("byte_size: units in powers of 1000 and 1024, bare numbers in bytes") {
  CHECK(parse_size("100B") == 100);
  CHECK(parse_size("4KiB") == 4096);
  CHECK(parse_size("1.5MB") == 1500000);
  CHECK(parse_size("64MiB") == 64 * 1048576);
  CHECK(parse_size("2 GiB") == std::int64_t{2} << 30);
  CHECK(parse_size("12345") == 12345);
  CHECK(parse_size("0") == 0);
}

TEST_CASE("byte_size: what does not parse says what is expected") {
  std::string error;
  CHECK_FALSE(parse_size("12 parsecs", &error));
  CHECK(error.find("invalid size '12 parsecs': the unit is unknown") == 0);
  CHECK_FALSE(parse_size("-1MiB", &error));
  CHECK(error.find("it is negative") != std::string::npos);
  CHECK_FALSE(parse_size("1.5", &error));
  CHECK(error.find("a fraction needs a unit") != std::string::npos);
  CHECK_FALSE(parse_size("", &error));
  CHECK_FALSE(parse_size("mb", &error));
  CHECK_FALSE(parse_size("99999999999GiB", &error));
  CHECK(error.find("out of range") != std::string::npos);
}

TEST_CASE("byte_size: formatted in powers of 1024") {
  CHECK(format_size(512) == "512 B");
  CHECK(format_size(4096) == "4 KiB");
  CHECK(format_size(1572864) == "1.5 MiB");
}
