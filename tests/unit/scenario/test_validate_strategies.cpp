// [[strategy]] tables (issue 17): parsed into the model with their own
// runbook, verify steps and thresholds; every problem at its file:line:col.
#include <doctest/doctest.h>

#include "scenario/scenario_parser.hpp"
#include "scenario/validate.hpp"
#include "validate_fixture.hpp"

using namespace faultline;
using namespace faultline::validate_fixture;

namespace {

const std::string kTwo = R"(name = "v"
confidence = "90%"
max_secondary_outage_rate = "10%"
[[service]]
name = "web"
command = "sleep 100"
ports = ["web"]
[[probe]]
name = "up"
kind = "tcp"
port = "{port.web}"
[[fault]]
kind = "process.kill"
target = "web"
[[verify]]
command = "true"
[[strategy]]
name = "restart"
description = "start it again"
[[strategy.recovery]]
command = "echo start"
on = "inject"
after = "1s"
[[strategy.recovery]]
name = "check"
command = "true"
[[strategy.verify]]
name = "logs clean"
command = "true"
[strategy.thresholds]
rto = "5s"
[[strategy]]
name = "wait"
)";

}  // namespace

TEST_CASE("[[strategy]]: a valid declaration parses into the model and validates") {
  auto r = parse_scenario(kTwo, "v.toml");
  INFO(all_messages(r.diagnostics));
  REQUIRE(r.scenario.has_value());
  const Scenario& s = *r.scenario;
  CHECK(s.confidence == 90);
  CHECK(s.max_secondary_outage_rate == 10);
  REQUIRE(s.strategies.size() == 2);
  const StrategySpec& a = s.strategies[0];
  CHECK(a.name == "restart");
  CHECK(a.description == "start it again");
  REQUIRE(a.recovery.size() == 2);
  CHECK(a.recovery[0].name == "recovery #1");
  CHECK(a.recovery[0].on == RecoveryTrigger::inject);
  CHECK(a.recovery[0].after == 1s);
  CHECK(a.recovery[1].name == "check");
  REQUIRE(a.verify.size() == 1);
  CHECK(a.verify[0].name == "logs clean");
  REQUIRE(a.thresholds.rto.has_value());
  CHECK(*a.thresholds.rto == 5s);
  CHECK_FALSE(s.thresholds.rto.has_value());
  CHECK(s.strategies[1].recovery.empty());
  CHECK(s.recovery.empty());
  CHECK(s.verify.size() == 1);
  CHECK(s.positions.count("strategy[0].recovery[1]") == 1);
  CHECK(validate(s).empty());
}

TEST_CASE("[[strategy]]: defaults of confidence and the secondary-outage limit") {
  auto r = parse_scenario("name = \"v\"\n", "v.toml");
  REQUIRE(r.scenario.has_value());
  CHECK(r.scenario->confidence == 95);
  CHECK(r.scenario->max_secondary_outage_rate == 0);
  CHECK(r.scenario->strategies.empty());
}

TEST_CASE("[[strategy]]: unknown keys in the strategy and its tables are errors at their place") {
  const std::string text = R"(name = "v"
confidence = "100%"
[[strategy]]
name = "a"
runbook = "x"
[[strategy.recovery]]
command = "true"
bogus = 1
[[strategy.verify]]
command = "true"
bogus2 = 1
[strategy.thresholds]
rtoo = "1s"
)";
  auto r = parse_scenario(text, "v.toml");
  REQUIRE_FALSE(r.scenario.has_value());
  check_at(diag(r.diagnostics, "unknown key 'runbook'"), where_is(text, "runbook"));
  check_at(diag(r.diagnostics, "unknown key 'bogus'"), where_is(text, "bogus = 1"));
  check_at(diag(r.diagnostics, "unknown key 'bogus2'"), where_is(text, "bogus2"));
  check_at(diag(r.diagnostics, "unknown key 'rtoo'"), where_is(text, "rtoo"));
  check_at(diag(r.diagnostics, "'confidence' must be above 0%"), value_of(text, "confidence = \"100%\""));
}

TEST_CASE("[[strategy]]: a name is required and must be an identifier") {
  const std::string text = "name = \"v\"\n[[strategy]]\ndescription = \"x\"\n[[strategy]]\nname = \"a b\"\n";
  auto r = parse_scenario(text, "v.toml");
  REQUIRE_FALSE(r.scenario.has_value());
  CHECK(diag(r.diagnostics, "missing required key 'name'").message.find("[[strategy]]") != std::string::npos);
  check_at(diag(r.diagnostics, "letters, digits"), value_of(text, "name = \"a b\""));
}

TEST_CASE("[[strategy]]: duplicate names, and within a strategy duplicate step names") {
  const std::string dup = R"(name = "v"
[[probe]]
name = "up"
kind = "tcp"
port = 1
[[fault]]
kind = "exec"
apply = "true"
[[strategy]]
name = "a"
[[strategy.recovery]]
name = "s"
command = "true"
[[strategy.recovery]]
name = "s"
command = "true"
[[strategy]]
name = "a"
)";
  auto ds = check(dup);
  check_at(diag(ds, "duplicate strategy name 'a'"), value_of(dup, "name = \"a\"", 2));
  check_at(diag(ds, "duplicate recovery step name in strategy 'a'"), value_of(dup, "name = \"s\"", 2));
}

TEST_CASE("[[strategy]]: a top-level [[recovery]] beside strategies is ambiguous, an error at the [[recovery]]") {
  const std::string text = R"(name = "v"
[[fault]]
kind = "exec"
apply = "true"
[[recovery]]
command = "true"
on = "inject"
[[strategy]]
name = "a"
)";
  auto ds = check(text);
  check_at(diag(ds, "cannot have a top-level [[recovery]]"), where_is(text, "[[recovery]]"));
}

TEST_CASE("[[strategy]]: detection needs a probe, data loss a workload, strategies a fault") {
  const std::string text = R"(name = "v"
[[strategy]]
name = "a"
[[strategy.recovery]]
command = "true"
[strategy.thresholds]
max_data_loss = 0
)";
  auto ds = check(text);
  check_at(diag(ds, "waits for detection"), where_is(text, "[[strategy.recovery]]"));
  check_at(diag(ds, "needs a [[workload]]"), value_of(text, "max_data_loss = 0"));
  check_at(diag(ds, "no [[fault]] is injected"), where_is(text, "[[strategy]]"));
}
