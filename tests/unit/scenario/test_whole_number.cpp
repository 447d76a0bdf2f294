// Tests of parse_whole_number: the plain-words range checks behind --seed
// and --iterations (a sign, an overflow, zero, junk), never a wrapped value.
#include <doctest/doctest.h>

#include "scenario/whole_number.hpp"

using namespace faultline;

TEST_CASE("whole number: digits within the range are taken as they are") {
  std::string why;
  CHECK(parse_whole_number("0", 0, 10, why) == 0u);
  CHECK(parse_whole_number("7", 1, 10, why) == 7u);
  CHECK(parse_whole_number("18446744073709551615", 0, 18446744073709551615ULL, why) == 18446744073709551615ULL);
  CHECK(why.empty());
}

TEST_CASE("whole number: a sign, an overflow, zero or junk is refused in plain words") {
  std::string why;
  CHECK_FALSE(parse_whole_number("-1", 0, 18446744073709551615ULL, why));
  CHECK(why == "expected a whole number from 0 to 18446744073709551615, got '-1' (negative numbers are not allowed)");
  CHECK_FALSE(parse_whole_number("18446744073709551616", 0, 18446744073709551615ULL, why));
  CHECK(why == "expected a whole number from 0 to 18446744073709551615, got '18446744073709551616' (too large)");
  CHECK_FALSE(parse_whole_number("0", 1, 2147483647, why));
  CHECK(why == "expected a whole number from 1 to 2147483647, got '0'");
  CHECK_FALSE(parse_whole_number("2147483648", 1, 2147483647, why));
  CHECK(why.find("(too large)") != std::string::npos);
  for (const char* bad : {"", "+3", " 3", "3 ", "1e3", "2.0", "0x10", "abc"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_whole_number(bad, 0, 100, why));
    CHECK(why.starts_with("expected a whole number from 0 to 100, got '"));
  }
}

TEST_CASE("whole number: a long input is quoted shortened, never in full") {
  std::string why;
  CHECK_FALSE(parse_whole_number(std::string(300, '9'), 0, 10, why));
  CHECK(why.size() < 120);
  CHECK(why.find("...") != std::string::npos);
}
