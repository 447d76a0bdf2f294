#include <doctest/doctest.h>

#include <csignal>

#include "scenario/signals.hpp"

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

TEST_CASE("signals: one table serves the parser's names and the names shown") {
  CHECK(signal_name(SIGABRT) == "SIGABRT");  // not its alias SIGIOT
  CHECK(signal_name(SIGIO) == "SIGPOLL");    // as sigabbrev_np(3) names it
  CHECK(signal_name(40) == "signal 40");
  CHECK(signal_number("IOT") == SIGABRT);
  CHECK(signal_number("sigio") == SIGIO);
  CHECK(signal_number("nope") == 0);
  const auto names = signal_names();
  REQUIRE_FALSE(names.empty());
  CHECK(names.front() == "SIGHUP");
}
