#include <doctest/doctest.h>

#include "scenario/check_context.hpp"
#include "scenario/scenario_parser.hpp"

using namespace faultline;

TEST_CASE("check_context: positions, names and hints of a scenario") {
  auto r = parse_scenario("name = \"x\"\n[[service]]\nname = \"redis\"\ncommand = \"true\"\n", "c.toml");
  REQUIRE(r.scenario.has_value());
  std::vector<Diagnostic> out;
  CheckContext c(*r.scenario, out);
  CHECK(c.is_service("redis"));
  CHECK_FALSE(c.is_service("rediss"));
  CHECK(c.service_names() == std::vector<std::string>{"redis"});
  CHECK(c.link_names().empty());
  CHECK(c.service_hint("rediss") == "did you mean 'redis'?");
  CHECK(c.where("service[0].name", {}).line == 3);
  CHECK(c.where("nowhere", {"", 9, 1}).line == 9);
  c.error({}, "boom");
  REQUIRE(out.size() == 1);
  CHECK(out[0].pos.file == "c.toml");
}

TEST_CASE("check_context: lists in words") {
  CHECK(join_and({"a"}) == "a");
  CHECK(join_and({"a", "b", "c"}) == "a, b and c");
  CHECK(join_list({"a", "b"}, " or ") == "a or b");
  CHECK(join_comma({"a", "b"}) == "a, b");
  CHECK(quoted_list({"a", "b"}) == "'a', 'b'");
}
