// The history table as console text, Markdown (a CI step summary) and
// JSON: every run a line, unbounded figures as "> deadline", findings
// listed when checked.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "history_fixtures.hpp"
#include "reports/history_report.hpp"

using namespace faultline;
using fixtures::history_row;

namespace {

std::vector<RunRow> rows() {
  return {history_row("r1", "drill", "v1", 1, {200ms, 210ms}),
          history_row("r2", "drill", "v2|x", 2, {std::nullopt, 210ms}, false)};
}

std::size_t count(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (auto i = s.find(needle); i != std::string::npos; i = s.find(needle, i + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("history report: console table, one line per run, unbounded as > deadline") {
  const std::string text = render_history(rows(), {}, false, HistoryFormat::console);
  CHECK(count(text, "\n") == 3);
  CHECK(text.find("when") == 0);
  CHECK(text.find("2026-12-01T10:01:00Z  v1     drill     passed   210.000 ms") != std::string::npos);
  CHECK(text.find("> 5000.000 ms") != std::string::npos);
  CHECK(render_history({}, {}, false, HistoryFormat::console) == "no runs in the history match\n");
  const std::string checked = render_history(rows(), {{"regression", "drill", "v2", "", "it got slower"}}, true,
                                             HistoryFormat::console);
  CHECK(checked.find("\nregression: it got slower\n") != std::string::npos);
}

TEST_CASE("history report: Markdown is a table with escaped cells and the findings under it") {
  const std::string md = render_history(rows(), {{"recurrence", "drill", "v2", "r2", "came back"}}, true,
                                        HistoryFormat::markdown);
  CHECK(md.starts_with("### faultline history: 2 run(s)\n\n| when | label |"));
  CHECK(count(md, "\n|") == 4);  // header, rule, two runs
  CHECK(md.find("v2\\|x") != std::string::npos);
  CHECK(md.find("- **recurrence**: came back") != std::string::npos);
  CHECK(render_history(rows(), {}, true, HistoryFormat::markdown).find("No regression, recurrence or flaky") !=
        std::string::npos);
}

TEST_CASE("history report: JSON holds every run with its figures and the findings") {
  const auto doc = boost::json::parse(render_history(rows(), {}, true, HistoryFormat::json));
  const auto& runs = doc.at("runs").as_array();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].at("recovery_time_max_ns").as_int64() == 210'000'000);
  CHECK(runs[1].at("recovery_time_max_ns").is_null());
  CHECK(runs[1].at("outcome").as_string() == "failed");
  CHECK(runs[1].at("iteration_figures").as_array().size() == 2);
  CHECK(doc.at("findings").as_array().empty());
  CHECK_FALSE(boost::json::parse(render_history(rows(), {}, false, HistoryFormat::json)).as_object().contains("findings"));
}

TEST_CASE("history report: JSON escapes every string and keeps availability a real number") {
  auto rs = rows();
  rs[0].label = "quote \" backslash \\ newline \n tab \t bell \x07 é";
  rs[0].availability = 1.0;
  rs[0].iteration_rows[0].uncertainty = Nanos(100'000'000);
  rs[0].iteration_rows[0].recovery_bracket = Bracket{Nanos(150'000'000), Nanos(260'000'000)};
  const auto doc = boost::json::parse(render_history(rs, {{"flaky", "s", "v\"1", "r", "a \\ b"}}, true,
                                                     HistoryFormat::json));
  const auto& run = doc.at("runs").as_array()[0];
  CHECK(run.at("label").as_string() == rs[0].label);
  CHECK(run.at("availability").is_double());
  CHECK(run.at("availability").as_double() == 1.0);
  const auto& it = run.at("iteration_figures").as_array()[0];
  CHECK(it.at("uncertainty_ns").as_int64() == 100'000'000);
  CHECK(it.at("recovery_bracket_ns").as_array()[1].as_int64() == 260'000'000);
  CHECK(doc.at("findings").as_array()[0].at("label").as_string() == "v\"1");
  CHECK(doc.at("findings").as_array()[0].at("text").as_string() == "a \\ b");
}

TEST_CASE("history report: an inconclusive run and verdict are shown as such; JSON comes whole in pieces") {
  auto rs = rows();
  rs[1].outcome = "inconclusive";
  rs[1].verdicts[0].inconclusive = true;
  CHECK(render_history(rs, {}, false, HistoryFormat::console).find("drill     inconclusive") != std::string::npos);
  CHECK(render_history(rs, {}, false, HistoryFormat::markdown).find("| inconclusive |") != std::string::npos);
  const std::string text = render_history(rs, {}, false, HistoryFormat::json);
  const auto doc = boost::json::parse(text);
  const auto& runs = doc.at("runs").as_array();
  CHECK(runs[1].at("verdicts").as_array()[0].at("inconclusive").as_bool());
  CHECK_FALSE(runs[0].at("verdicts").as_array()[0].as_object().contains("inconclusive"));  // only when set
  // 300 runs: more than one piece of 64 KiB, the same text.
  std::vector<RunRow> many;
  for (int i = 0; i < 300; ++i) many.push_back(rs[static_cast<std::size_t>(i % 2)]);
  std::string pieces;
  int calls = 0;
  render_history_to([&](std::string_view p) { pieces.append(p), ++calls; }, many, {}, true, HistoryFormat::json);
  CHECK(calls > 1);
  CHECK(pieces == render_history(many, {}, true, HistoryFormat::json));
  CHECK(boost::json::parse(pieces).at("runs").as_array().size() == 300);
}
