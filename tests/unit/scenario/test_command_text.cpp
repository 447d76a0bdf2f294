#include <doctest/doctest.h>

#include "scenario/command_text.hpp"

using namespace faultline;

namespace {
Command shell(std::string line) { return Command{{"/bin/sh", "-c", std::move(line)}, true, {}}; }
}  // namespace

TEST_CASE("command text: a one-line command is shown whole, as it will run") {
  CHECK(short_command_text(shell("redis-cli -p 6380 ping")) == "redis-cli -p 6380 ping");
  CHECK(short_command_text(Command{{"pg_ctl", "promote", "-D", "/tmp/x y"}, false, {}}) == "pg_ctl promote -D '/tmp/x y'");
}

TEST_CASE("command text: a script is shortened to its first line and says how many more there are") {
  CHECK(short_command_text(shell("\nset -e\nfoo\n\nbar\n")) == "set -e ... (+2 more lines)");
  CHECK(short_command_text(shell("one\ntwo")) == "one ... (+1 more line)");
  CHECK(short_command_text(shell(std::string(300, 'x')), 10) == "xxxxxxxxxx...");
}
