// The judgements over a series: a step in recovery time at a label is named
// (with its size and interval) and noise is not; a verdict that failed,
// passed K times and failed again is a recurrence; an outcome that
// alternates over one scenario text is flaky.
#include <doctest/doctest.h>

#include "history/trend_check.hpp"
#include "history_fixtures.hpp"

using namespace faultline;
using fixtures::history_row;

namespace {

std::vector<Finding> of_kind(const std::vector<Finding>& all, const std::string& kind) {
  std::vector<Finding> out;
  for (const auto& f : all)
    if (f.kind == kind) out.push_back(f);
  return out;
}

std::vector<std::optional<Nanos>> around(Nanos centre) {
  return {centre - 6ms, centre - 2ms, centre, centre + 3ms, centre + 5ms, centre + 1ms};
}

}  // namespace

TEST_CASE("trend check: the label where recovery time stepped up is named, with its size and interval") {
  std::vector<RunRow> rows{history_row("a", "drill", "v1", 1, around(200ms)),
                           history_row("b", "drill", "v2", 2, around(205ms)),
                           history_row("c", "drill", "v3", 3, around(600ms)),
                           history_row("d", "drill", "v4", 4, around(598ms))};
  const auto found = of_kind(check_history(rows, {}), "regression");
  REQUIRE(found.size() == 1);
  CHECK(found[0].label == "v3");
  CHECK(found[0].scenario == "drill");
  CHECK(found[0].text.find("regressed at label 'v3': median 600.000 ms over 6 iteration(s), against 205.000 ms "
                           "over 6 at 'v2' (difference +395.000 ms, 95 % interval") != std::string::npos);
  CHECK(labels_in_order(rows) == std::vector<std::string>{"v1", "v2", "v3", "v4"});
}

TEST_CASE("trend check: a small step, too few iterations or a faster label is no regression") {
  // 10 % slower: below the 20 % tolerance.
  CHECK(of_kind(check_history({history_row("a", "s", "v1", 1, around(200ms)), history_row("b", "s", "v2", 2, around(220ms))}, {}),
                "regression").empty());
  // Three times slower but two iterations a side: not enough to tell.
  CHECK(of_kind(check_history({history_row("a", "s", "v1", 1, {200ms, 201ms}), history_row("b", "s", "v2", 2, {600ms, 601ms})}, {}),
                "regression").empty());
  // Faster.
  CHECK(of_kind(check_history({history_row("a", "s", "v1", 1, around(600ms)), history_row("b", "s", "v2", 2, around(200ms))}, {}),
                "regression").empty());
}

TEST_CASE("trend check: a label whose runs never recovered regressed") {
  std::vector<std::optional<Nanos>> never(6, std::nullopt);
  const auto found = of_kind(check_history({history_row("a", "s", "v1", 1, around(200ms)), history_row("b", "s", "v2", 2, never, false)}, {}),
                             "regression");
  REQUIRE(found.size() == 1);
  CHECK(found[0].text.find("median > 5000.000 ms") != std::string::npos);
}

TEST_CASE("trend check: fail, pass, pass, fail is a recurrence; fail, pass, fail is not (K = 2)") {
  std::vector<RunRow> rows{history_row("r1", "s", "v1", 1, {200ms}, false), history_row("r2", "s", "v1", 2, {200ms}),
                           history_row("r3", "s", "v1", 3, {200ms}), history_row("r4", "s", "v2", 4, {200ms}, false)};
  auto found = of_kind(check_history(rows, {}), "recurrence");
  REQUIRE(found.size() == 1);
  CHECK(found[0].run_id == "r4");
  CHECK(found[0].label == "v2");
  CHECK(found[0].text == "s: verdict 'rto' failed in run r1 (v1), passed in the 2 run(s) after it, and failed again "
                         "in run r4 (v2): the failure came back");
  rows.erase(rows.begin() + 2);
  CHECK(of_kind(check_history(rows, {}), "recurrence").empty());
  CheckParams once;
  once.passes_between = 1;
  CHECK(of_kind(check_history(rows, once), "recurrence").size() == 1);
}

TEST_CASE("trend check: an outcome that alternates over one scenario text is flaky; a changed text is not") {
  std::vector<RunRow> rows{history_row("r1", "s", "v1", 1, {200ms}), history_row("r2", "s", "v1", 2, {200ms}, false),
                           history_row("r3", "s", "v1", 3, {200ms})};
  auto found = of_kind(check_history(rows, {}), "flaky");
  REQUIRE(found.size() == 1);
  CHECK(found[0].text == "s: flaky: the outcome changed 2 times over 3 runs of the same text (sha1:aaaa)");
  rows[2].scenario_digest = "sha1:bbbb";
  CHECK(of_kind(check_history(rows, {}), "flaky").empty());
}

TEST_CASE("trend check: interrupted runs and runs that measured nothing are left out") {
  RunRow cut = history_row("r2", "s", "v1", 2, {200ms}, false);
  cut.outcome = "interrupted";
  std::vector<RunRow> rows{history_row("r1", "s", "v1", 1, {200ms}, false), cut, history_row("r3", "s", "v1", 3, {200ms}),
                           history_row("r4", "s", "v1", 4, {200ms}), history_row("r5", "s", "v1", 5, {200ms}, false)};
  CHECK(of_kind(check_history(rows, {}), "recurrence").size() == 1);
}

TEST_CASE("trend check: the interval is widened by the probe resolution the rows keep") {
  auto with_resolution = [](RunRow r, Nanos u) {
    for (auto& it : r.iteration_rows) it.uncertainty = u;
    return r;
  };
  // 100 ms slower (50 %): a regression with a fine probe...
  const std::vector<RunRow> fine{with_resolution(history_row("a", "s", "v1", 1, around(200ms)), 10ms),
                                 with_resolution(history_row("b", "s", "v2", 2, around(300ms)), 10ms)};
  const auto found = of_kind(check_history(fine, {}), "regression");
  REQUIRE(found.size() == 1);
  CHECK(found[0].text.find("widened by 2 x 10.000 ms probe resolution") != std::string::npos);
  // ...and none when each time is only known to +/- 100 ms: the widened interval reaches below 0.
  const std::vector<RunRow> coarse{with_resolution(history_row("a", "s", "v1", 1, around(200ms)), 100ms),
                                   with_resolution(history_row("b", "s", "v2", 2, around(300ms)), 100ms)};
  CHECK(of_kind(check_history(coarse, {}), "regression").empty());
}

TEST_CASE("trend check: an inconclusive run or verdict is neither a pass nor a failure: no recurrence, no flaky") {
  // The undecided verdict of an inconclusive run: not passed, not failed.
  auto undecided = [](const std::string& id, int minute, bool mark) {
    RunRow r = history_row(id, "s", "v1", minute, {200ms}, false);
    r.outcome = "inconclusive", r.exit_code = 3;
    r.verdicts[0].inconclusive = mark;  // false: a row written before schema version 4
    return r;
  };
  for (const bool mark : {true, false}) {
    CAPTURE(mark);
    // fail, pass, pass, inconclusive: the failure did not come back.
    std::vector<RunRow> rows{history_row("r1", "s", "v1", 1, {200ms}, false), history_row("r2", "s", "v1", 2, {200ms}),
                             history_row("r3", "s", "v1", 3, {200ms}), undecided("r4", 4, mark)};
    CHECK(of_kind(check_history(rows, {}), "recurrence").empty());
    // fail, pass, inconclusive, fail: one pass between, not two (K = 2).
    rows = {history_row("r1", "s", "v1", 1, {200ms}, false), history_row("r2", "s", "v1", 2, {200ms}),
            undecided("r3", 3, mark), history_row("r4", "s", "v1", 4, {200ms}, false)};
    CHECK(of_kind(check_history(rows, {}), "recurrence").empty());
    // passed, inconclusive, passed, inconclusive: the outcome never changed between pass and fail.
    rows = {history_row("r1", "s", "v1", 1, {200ms}), undecided("r2", 2, mark), history_row("r3", "s", "v1", 3, {200ms}),
            undecided("r4", 4, mark)};
    CHECK(check_history(rows, {}).empty());
  }
  // A failed run (another verdict failed) whose 'max_recurrence' was undecided: that verdict did not fail.
  std::vector<RunRow> rows;
  for (int i = 1; i <= 4; ++i) {
    RunRow r = history_row("r" + std::to_string(i), "s", "v1", i, {200ms});
    r.verdicts.push_back({"max_recurrence", "run", i != 1, "1", "2"});
    rows.push_back(r);
  }
  rows[3].outcome = "failed", rows[3].verdicts[0].passed = false;
  rows[3].verdicts[1] = {"max_recurrence", "run", false, ">= 1", "2", true};
  CHECK(of_kind(check_history(rows, {}), "recurrence").empty());
  rows[3].verdicts[1].inconclusive = false;  // had it failed, it came back
  REQUIRE(of_kind(check_history(rows, {}), "recurrence").size() == 1);
}
