#include <doctest/doctest.h>

#include <string>

#include "scenario/partition_effect.hpp"
#include "scenario/scenario_parser.hpp"

using namespace faultline;

namespace {

Scenario parsed(const std::string& text) {
  auto r = parse_scenario(text, "m.toml");
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.scenario.has_value());
  return *r.scenario;
}

std::string mesh(const std::string& links, const std::string& partition) {
  return R"(name = "m"
[[service]]
name = "a"
command = "sleep 100"
ports = ["pa"]
[[service]]
name = "b"
command = "sleep 100"
ports = ["pb"]
[[service]]
name = "c"
command = "sleep 100"
ports = ["pc"]
)" + links + "[[fault]]\nname = \"cut\"\nkind = \"net.partition\"\nduration = \"1s\"\n" + partition + "\n";
}

}  // namespace

TEST_CASE("partition effect: one link shared by two clients cuts both, and the warning says which pair and why") {
  const Scenario s = parsed(mesh("[[link]]\nname = \"to-c\"\nto = \"127.0.0.1:{port.pc}\"\nfrom = [\"a\", \"b\"]\n",
                                 "isolate = \"a\""));
  const auto& p = s.faults[0].params.get<PartitionParams>();
  const PartitionEffect e = partition_effect(s, p);
  REQUIRE(e.links.size() == 1);
  CHECK(e.links[0].link == "to-c");
  CHECK(pair_texts(e.lost) == std::vector<std::string>{"a <-> c", "b <-> c"});
  CHECK(pair_texts(e.collateral) == std::vector<std::string>{"b <-> c"});
  const auto ws = scenario_warnings(s);
  REQUIRE(ws.size() == 1);
  CHECK(ws[0].pos.line == 18);
  CHECK(ws[0].message.find("b <-> c") != std::string::npos);
  CHECK(ws[0].message.find("'to-c' (to c, shared by a, b)") != std::string::npos);
  CHECK(ws[0].hint.find("network = \"namespaces\"") != std::string::npos);
  CHECK(format_warning(ws[0]).find("m.toml:18:1: warning: ") == 0);
}

TEST_CASE("partition effect: a link per client cuts exactly the groups; no warning; one-way cuts one direction") {
  const std::string links =
      "[[link]]\nname = \"a-c\"\nto = \"127.0.0.1:{port.pc}\"\nfrom = [\"a\"]\n"
      "[[link]]\nname = \"b-c\"\nto = \"127.0.0.1:{port.pc}\"\nfrom = [\"b\"]\n";
  const Scenario s = parsed(mesh(links, "isolate = \"a\""));
  const PartitionEffect e = partition_effect(s, s.faults[0].params.get<PartitionParams>());
  CHECK(pair_texts(e.lost) == std::vector<std::string>{"a <-> c"});
  CHECK(e.collateral.empty());
  CHECK(scenario_warnings(s).empty());

  const Scenario one = parsed(mesh(links, "groups = [[\"a\"], [\"c\"]]\ndirection = \"one\""));
  const PartitionEffect oe = partition_effect(one, one.faults[0].params.get<PartitionParams>());
  CHECK(pair_texts(oe.lost) == std::vector<std::string>{"a -> c"});
}
