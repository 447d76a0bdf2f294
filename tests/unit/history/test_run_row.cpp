// A run's history row from its record: identity, outcome, figures (an
// unrecovered iteration makes the worst recovery time and MTTR unbounded,
// never a number), verdicts and iterations.
#include <doctest/doctest.h>

#include "history/run_row.hpp"
#include "report_fixtures.hpp"

using namespace faultline;
using namespace std::chrono_literals;

TEST_CASE("run row: a passing run's identity, figures, verdicts and iterations") {
  const RunRecord rec = fixtures::passing();
  const RunRow r = row_from_record(rec, "v1.2", "/runs/x/run.json");
  CHECK(r.run_id == rec.run_id);
  CHECK(r.scenario == "redis-kill-restart");
  CHECK(r.scenario_digest == rec.scenario_digest);
  CHECK(r.label == "v1.2");
  CHECK(r.seed == rec.seed);
  CHECK(r.host == rec.host);
  CHECK(r.started_at == rec.started_at);
  CHECK(r.outcome == "passed");
  CHECK(r.exit_code == 0);
  CHECK(r.iterations == 3);
  CHECK(r.unrecovered == 0);
  CHECK(r.recovery_max == Nanos(299600us));
  CHECK(r.recovery_p95 == Nanos(299600us));
  CHECK(r.mttr == rec.statistics.ttr.mean);
  CHECK(r.ttr_p95 == rec.statistics.ttr.p95);
  CHECK(r.record_path == "/runs/x/run.json");
  REQUIRE(r.iteration_rows.size() == 3);
  CHECK(r.iteration_rows[2].recovery_time == Nanos(0));  // absorbed
  CHECK(r.verdicts.size() == rec.verdicts.size());
  CHECK(row_figure(r, r.recovery_max) == "299.600 ms");
}

TEST_CASE("run row: an iteration that did not recover makes the worst recovery time and MTTR unbounded") {
  const RunRow r = row_from_record(fixtures::failing(), "", "");
  CHECK(r.outcome == "failed");
  CHECK(r.unrecovered == 1);
  CHECK_FALSE(r.recovery_max);
  CHECK_FALSE(r.mttr);
  CHECK(r.relapses == 1);
  CHECK(row_figure(r, r.recovery_max) == "> " + format_ms(r.give_up_after));
}

TEST_CASE("run row: an interrupted run keeps its outcome and exit code; one that measured nothing shows '-'") {
  const RunRow cut = row_from_record(fixtures::interrupted(), "", "");
  CHECK(cut.outcome == "interrupted");
  CHECK(cut.exit_code == 130);
  CHECK(cut.iterations == 1);
  const RunRow none = row_from_record(fixtures::inconclusive(), "", "");
  CHECK(none.outcome == "inconclusive");
  CHECK(none.iterations == 0);
  CHECK_FALSE(none.recovery_max);
  CHECK_FALSE(none.mttr);
  CHECK(row_figure(none, none.recovery_max) == "-");
}
