#include <doctest/doctest.h>

#include <csignal>

#include "os/signals.hpp"

using namespace faultline;

TEST_CASE("signals: names and numbers round-trip in the forms users write") {
  CHECK(signal_name(SIGKILL) == "SIGKILL");
  CHECK(signal_name(SIGTERM) == "SIGTERM");
  CHECK(parse_signal("SIGTERM") == SIGTERM);
  CHECK(parse_signal("TERM") == SIGTERM);
  CHECK(parse_signal("sigkill") == SIGKILL);
  CHECK(parse_signal("9") == 9);
  CHECK(parse_signal("SIGSTOP") == SIGSTOP);
  CHECK_FALSE(parse_signal(""));
  CHECK_FALSE(parse_signal("SIGNOPE"));
  CHECK_FALSE(parse_signal("0"));
  CHECK_FALSE(parse_signal("65"));
  CHECK_FALSE(parse_signal("9x"));
}
