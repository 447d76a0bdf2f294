// Dynamic targets in the parser (scenario_parser_select.cpp): the table's
// keys and values read into FaultSpec::select, its problems reported where
// they were written, and net.partition's `isolate` hidden from the kind's
// own reader when it is a table.
#include <doctest/doctest.h>

#include <string>

#include "scenario/net_params.hpp"
#include "validate_fixture.hpp"

using namespace faultline;
using namespace faultline::diagnostic_fixture;

namespace {

const std::string kThree = R"(name = "v"
[[service]]
name = "a"
command = "sleep 60"
[[service]]
name = "b"
command = "sleep 60"
[[service]]
name = "c"
command = "sleep 60"
)";

}  // namespace

TEST_CASE("parser: target = { select, among, timeout, as } is read into the fault's select") {
  const std::string text = kThree + R"([[fault]]
kind = "process.kill"
target = { select = "test {service.name} = b", among = ["a", "b", "c"], timeout = "2s", as = "leader" }
)";
  auto r = parse_scenario(text, "v.toml");
  INFO(all_messages(r.diagnostics));
  REQUIRE(r.diagnostics.empty());
  const FaultSpec& f = r.scenario->faults.at(0);
  REQUIRE(f.select.has_value());
  CHECK(f.target.empty());
  CHECK(f.select->key == "target");
  CHECK(f.select->command.shell);
  CHECK(f.select->command.argv.back() == "test {service.name} = b");
  CHECK(f.select->among == std::vector<std::string>{"a", "b", "c"});
  CHECK(f.select->timeout == 2s);
  CHECK(f.select->as == "leader");
  CHECK(f.select->pos.line == where_is(text, "{ select").line);
  // Defaults: a 5 s timeout, no label; a plain string target stays a name.
  auto plain = parse_scenario(kThree + "[[fault]]\nkind = \"process.kill\"\ntarget = { select = [\"true\"], among = [\"a\"] }\n"
                                       "[[fault]]\nkind = \"process.kill\"\ntarget = \"b\"\n",
                              "v.toml");
  REQUIRE(plain.diagnostics.empty());
  CHECK(plain.scenario->faults[0].select->timeout == 5s);
  CHECK(plain.scenario->faults[0].select->as.empty());
  CHECK_FALSE(plain.scenario->faults[1].select.has_value());
  CHECK(plain.scenario->faults[1].target == "b");
}

TEST_CASE("parser: a dynamic isolate of net.partition is the runner's; the kind reads the rest") {
  const std::string text = kThree + R"([[fault]]
kind = "net.partition"
isolate = { select = "true", among = ["a", "b"] }
mode = "reject"
duration = "1s"
)";
  auto r = parse_scenario(text, "v.toml");
  INFO(all_messages(r.diagnostics));
  REQUIRE(r.diagnostics.empty());
  const FaultSpec& f = r.scenario->faults.at(0);
  REQUIRE(f.select.has_value());
  CHECK(f.select->key == "isolate");
  const auto& p = f.params.get<PartitionParams>();
  CHECK(p.isolate.empty());
  CHECK(p.mode == PartitionMode::reject);
}

TEST_CASE("parser: a select table's problems, each at its value") {
  const std::string text = kThree + R"([[fault]]
kind = "process.kill"
target = { select = "true", amongst = ["a"] }
[[fault]]
kind = "process.kill"
target = { among = ["a"] }
[[fault]]
kind = "process.kill"
target = { select = "true", among = [] }
[[fault]]
kind = "process.kill"
target = { select = 3, among = ["a"], timeout = "0s" }
)";
  auto r = parse_scenario(text, "v.toml");
  const auto& ds = r.diagnostics;
  INFO(all_messages(ds));
  const Diagnostic unknown = diag(ds, "unknown key 'amongst'");
  CHECK(unknown.hint == "did you mean 'among'?");
  CHECK(unknown.pos.line == where_is(text, "amongst").line);
  CHECK(unknown.pos.column == where_is(text, "amongst").column);
  CHECK(diag(ds, "missing required key 'among'").pos.line == where_is(text, "amongst").line);
  CHECK(diag(ds, "missing required key 'select'").pos.line == where_is(text, "target = { among").line);
  const Diagnostic empty = diag(ds, "names no service");
  CHECK(empty.pos.line == where_is(text, "among = []").line);
  CHECK(empty.pos.column == where_is(text, "[] }").column);
  CHECK(diag(ds, "'select' must be").pos.line == where_is(text, "select = 3").line);
  CHECK(diag(ds, "'timeout'").pos.line == where_is(text, "select = 3").line);
  CHECK_FALSE(r.scenario.has_value());
}
