// What `plan` shows of strategies: each one's runbook, and the interleaved
// order of the run's iterations, drawn from the seed as `run` draws it.
#include <doctest/doctest.h>

#include <string>

#include "run/plan.hpp"
#include "run/strategy_plan.hpp"
#include "scenario/scenario_parser.hpp"
#include "scenario/strategy_schedule.hpp"

using namespace faultline;

namespace {

const std::string kStrategies = R"(name = "p"
iterations = 12
[[service]]
name = "web"
command = "sleep 100"
[[fault]]
kind = "process.kill"
target = "web"
[[strategy]]
name = "rollback"
description = "previous config, reload"
[[strategy.recovery]]
name = "restore"
command = "cp old new"
on = "inject"
[strategy.thresholds]
rto = "3s"
[[strategy]]
name = "wait"
)";

Scenario parsed(const std::string& text) {
  auto r = parse_scenario(text, "p.toml");
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.scenario.has_value());
  return *r.scenario;
}

}  // namespace

TEST_CASE("plan: strategies, their runbooks and the interleaved order from the seed") {
  const Scenario s = parsed(kStrategies);
  const std::string text = render_plan(s, 7);
  INFO(text);
  CHECK(text.find("strategies (2, each run 12 time(s); compared at 95% confidence") != std::string::npos);
  CHECK(text.find("  strategy 'rollback': previous config, reload\n") != std::string::npos);
  CHECK(text.find("    runbook 'restore' on ") != std::string::npos);
  CHECK(text.find("`cp old new`") != std::string::npos);
  CHECK(text.find("    thresholds (its own iterations):\n  rto 3s") != std::string::npos);
  CHECK(text.find("  strategy 'wait'\n    runbook: none") != std::string::npos);
  CHECK(text.find("order of the 24 iterations (seed 7;") != std::string::npos);
  // The order shown is the run's order for that seed.
  const auto order = strategy_order(s, 7);
  CHECK(text.find("  block 1: 1: " + order[0] + ", 2: " + order[1] + "\n") != std::string::npos);
  CHECK(text.find("  block 10: 19: " + order[18] + ", 20: " + order[19] + "\n") != std::string::npos);
  CHECK(text.find("  blocks 11 to 12: each shuffled anew from the seed\n") != std::string::npos);
  CHECK(render_plan(s, 7) == text);
}

TEST_CASE("plan: without strategies nothing is added; without a seed it says which order it shows") {
  Scenario s = parsed(kStrategies);
  CHECK(strategies_block(s, std::nullopt).find("no seed given: shown for seed 0") != std::string::npos);
  s.strategies.clear();
  CHECK(strategies_block(s, 7).empty());
}
