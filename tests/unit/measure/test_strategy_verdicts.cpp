// Per strategy verdicts: each strategy's thresholds over its own
// iterations, and its steps, scoped by its name.
#include <doctest/doctest.h>

#include "measure/strategy_verdicts.hpp"
#include "report_fixtures.hpp"

using namespace faultline;

TEST_CASE("strategy verdicts: thresholds judged over the strategy's own iterations") {
  RunRecord r = fixtures::strategies();
  // passing(): iteration 1 recovered after ~200 ms, 2 after ~260 ms, 3 absorbed the fault.
  r.scenario.strategies[0].thresholds.rto = 1s;     // restart: iterations 1 and 3
  r.scenario.strategies[1].thresholds.rto = 100ms;  // rollback: iteration 2, too slow
  const MeasureParams params{r.scenario.recovered_after, r.scenario.watch, r.scenario.give_up_after, r.stalls};
  const auto vs = strategy_verdicts(r, params);
  REQUIRE(vs.size() == 2);
  CHECK(vs[0].threshold == "rto");
  CHECK(vs[0].scope == "strategy restart");
  CHECK(vs[0].passed);
  CHECK(vs[1].scope == "strategy rollback");
  CHECK_FALSE(vs[1].passed);
  const StrategyPart part = strategy_part(r, "rollback");
  REQUIRE(part.iterations.size() == 1);
  CHECK(part.iterations[0].index == 2);
}

TEST_CASE("strategy verdicts: a strategy's runbook and verify steps, each a verdict") {
  RunRecord r = fixtures::strategies();
  RecoverySpec fix;
  fix.name = "fix";
  StepSpec check;
  check.name = "check";
  r.scenario.strategies[1].recovery = {fix};
  r.scenario.strategies[1].verify = {check};
  r.steps.push_back({2, "recovery", "fix", 1600ms, 1650ms, 1, false, false, "boom", "detect", true});
  r.steps.push_back({2, "verify", "check", 2600ms, 2650ms, 0, false, true, "", "", true});
  // The same step name in another strategy's iteration is not this strategy's.
  r.steps.push_back({1, "recovery", "fix", 1600ms, 1650ms, 0, false, true, "", "detect", true});
  const MeasureParams params{r.scenario.recovered_after, r.scenario.watch, r.scenario.give_up_after, r.stalls};
  const auto vs = strategy_verdicts(r, params);
  REQUIRE(vs.size() == 2);
  CHECK(vs[0].threshold == "runbook");
  CHECK(vs[0].scope == "strategy rollback: fix");
  CHECK_FALSE(vs[0].passed);
  CHECK(vs[0].measured == "0/1 runs succeeded");
  CHECK(vs[1].threshold == "verify");
  CHECK(vs[1].passed);
}
