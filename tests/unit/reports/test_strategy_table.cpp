// The comparison table in the console summary and the Markdown report: the
// strategies by rank with the iterations done of those planned, "> deadline"
// never a number, the pairs and the conclusion.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "reports/console.hpp"
#include "reports/markdown.hpp"
#include "reports/strategy_table.hpp"
#include "report_fixtures.hpp"

using namespace faultline;

TEST_CASE("strategy table: the console shows each strategy, done of planned, the pair and the conclusion") {
  const RunRecord r = fixtures::strategies();
  const std::string text = strategy_table_text(r);
  INFO(text);
  CHECK(text.find("strategies (median recovery compared at 90% confidence)") != std::string::npos);
  CHECK(text.find("restart") != std::string::npos);
  CHECK(text.find("2/2") != std::string::npos);  // restart: both of its iterations ran
  CHECK(text.find("1/2") != std::string::npos);  // rollback: one of two (the run was cut short)
  CHECK(text.find("restart - rollback: ") != std::string::npos);
  CHECK(text.find(r.comparison->conclusion) != std::string::npos);
  CHECK(render_console_body(r, false).find(text) != std::string::npos);
}

TEST_CASE("strategy table: Markdown has the table, the pairs and the conclusion") {
  const RunRecord r = fixtures::strategies();
  const std::string md = strategy_table_markdown(r);
  INFO(md);
  CHECK(md.find("### Strategies") != std::string::npos);
  CHECK(md.find("| Rank | Strategy | Iterations | Each time ± | Recovery p50 |") != std::string::npos);
  CHECK(md.find("| restart - rollback |") != std::string::npos);
  CHECK(render_markdown(r).find(md) != std::string::npos);
}

TEST_CASE("strategy table: '> deadline' is never a number; a run without strategies shows nothing") {
  CHECK(strategy_time_text(StrategyTime{Nanos{5}, true}) == "> deadline");
  CHECK(strategy_time_text(std::nullopt) == "-");
  CHECK(strategy_bound_text(Nanos::max()) == "> deadline");
  CHECK(strategy_bound_text(-Nanos::max()) == "< -deadline");
  RunRecord r = fixtures::strategies();
  r.comparison->strategies[0].recovery_p50 = StrategyTime{Nanos{0}, true};
  r.comparison->strategies[0].eligible = false;
  r.comparison->strategies[0].rank = 0;
  r.comparison->strategies[0].ineligible_why = "lost 2 acknowledged write(s)";
  const std::string text = strategy_table_text(r);
  CHECK(text.find("> deadline") != std::string::npos);
  CHECK(text.find("not ranked: lost 2 acknowledged write(s)") != std::string::npos);
  CHECK(strategy_table_text(fixtures::passing()).empty());
  CHECK(strategy_table_markdown(fixtures::passing()).empty());
}

TEST_CASE("strategy table: the console's headline counts the iterations planned per strategy and in all") {
  const RunRecord r = fixtures::strategies();
  const std::string head = render_console_headline(r, false, Outcome::passed, 0);
  INFO(head);
  CHECK(head.find(fmt::format("{} iteration(s) planned per strategy, {} in all", r.scenario.iterations,
                              r.iteration_strategies.size())) != std::string::npos);
  CHECK(render_console_headline(fixtures::passing(), false, Outcome::passed, 0).find(" iteration(s) planned, ") !=
        std::string::npos);
}

TEST_CASE("strategy table: each strategy's row says how finely its times are known, from its own iterations") {
  RunRecord r = fixtures::strategies();
  // The fixture's order is restart, rollback, restart, rollback: make the
  // restart iterations coarser than the rollback ones.
  for (auto& m : r.iterations) m.uncertainty = r.iteration_strategies[static_cast<std::size_t>(m.index) - 1] == "restart"
                                                   ? Nanos{std::chrono::milliseconds(83)}
                                                   : Nanos{std::chrono::milliseconds(27)};
  const std::string text = strategy_table_text(r);
  INFO(text);
  CHECK(text.find("each +/-") != std::string::npos);
  CHECK(text.find("83.000 ms") != std::string::npos);
  CHECK(text.find("27.000 ms") != std::string::npos);
  const std::string md = strategy_table_markdown(r);
  CHECK(md.find("| 83.000 ms |") != std::string::npos);
  CHECK(md.find("| 27.000 ms |") != std::string::npos);
}

TEST_CASE("strategy table: time to mitigate p95 per strategy, from its own iterations; '-' without a runbook") {
  RunRecord r = fixtures::strategies();
  // restart ran iterations 1 and 3, rollback iteration 2.
  for (auto& m : r.iterations) m.time_to_mitigate = Nanos{std::chrono::milliseconds(10 * m.index + 1)};
  CHECK(strategy_mitigate_p95(r, "restart") == Nanos{std::chrono::milliseconds(31)});
  CHECK(strategy_mitigate_p95(r, "rollback") == Nanos{std::chrono::milliseconds(21)});
  CHECK(strategy_uncertainty(r, "restart") >= Nanos{0});
  const std::string md = strategy_table_markdown(r);
  INFO(md);
  CHECK(md.find("| Time to mitigate p50 | p95 |") != std::string::npos);
  CHECK(md.find("| 31.000 ms |") != std::string::npos);
  for (auto& m : r.iterations) m.time_to_mitigate.reset();
  CHECK_FALSE(strategy_mitigate_p95(r, "restart"));
}
