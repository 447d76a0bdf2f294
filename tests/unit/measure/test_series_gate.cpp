// The gate against the history's series: limit = the largest of the last N
// passing runs + the tolerance; a run beyond it fails with a negative
// margin; a series point that never recovered leaves no limit; the detail
// states the test, the series and the tolerance.
#include <doctest/doctest.h>

#include "measure/regression.hpp"
#include "report_fixtures.hpp"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

std::vector<SeriesPoint> series(std::vector<Nanos> worst) {
  std::vector<SeriesPoint> out;
  int i = 0;
  for (Nanos w : worst) {
    ++i;
    out.push_back({"run" + std::to_string(i), "v" + std::to_string(i), w, w, w - 100ms, "sha1:aa"});
  }
  return out;
}

const Verdict& find(const std::vector<Verdict>& vs, const std::string& threshold) {
  for (const auto& v : vs)
    if (v.threshold == threshold) return v;
  FAIL("no verdict " << threshold);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("series gate: within the series' spread plus the tolerance passes; beyond it fails") {
  // passing(): worst recovery 299.6 ms, MTTR 205 ms.
  const RunRecord run = fixtures::passing();
  auto vs = series_verdicts(run, series({250ms, 280ms, 260ms}), 0.2, "history h.sqlite");
  REQUIRE(vs.size() == 3);
  const Verdict& worst = find(vs, "regression.recovery_time_max");
  CHECK(worst.passed);
  CHECK(worst.limit == "336.000 ms");
  CHECK(worst.margin == "+36.400 ms");
  CHECK(worst.detail == "beyond the spread of the last 3 passing run(s) in history h.sqlite (run1 .. run3, labels "
                        "'v1' .. 'v3'): median 260.000 ms, largest 280.000 ms; limit = largest + 20 %");
  vs = series_verdicts(run, series({200ms, 210ms, 205ms}), 0.2, "history h.sqlite");
  const Verdict& slow = find(vs, "regression.recovery_time_max");
  CHECK_FALSE(slow.passed);
  CHECK(slow.limit == "252.000 ms");
  CHECK(slow.margin.starts_with("-"));
  // The single-record gate hands over to the series when there is one.
  Baseline b;
  b.source = "history h.sqlite";
  b.series = series({200ms, 210ms, 205ms});
  CHECK_FALSE(find(regression_verdicts(run, b), "regression.recovery_time_max").passed);
}

TEST_CASE("series gate: a series point that never recovered leaves no limit; a run that measured nothing gets no verdict") {
  auto s = series({250ms, 280ms});
  s[1].recovery_max.reset();
  const auto vs = series_verdicts(fixtures::passing(), s, 0.2, "h");
  const Verdict& worst = find(vs, "regression.recovery_time_max");
  CHECK(worst.passed);
  CHECK(worst.limit == "none");
  CHECK(series_verdicts(fixtures::inconclusive(), s, 0.2, "h").empty());
  // This run never recovered: beyond any limit.
  CHECK_FALSE(find(series_verdicts(fixtures::failing(), series({250ms}), 0.2, "h"), "regression.recovery_time_max").passed);
}

TEST_CASE("series gate: a series that ran another text of the scenario is named in a warning") {
  auto points = series({200ms, 210ms, 220ms});
  CHECK(series_digest_warning(points, "drill", "sha1:aa", "history h.sqlite") == "");
  points[0].scenario_digest = "sha1:00";
  points[1].scenario_digest = "sha1:00";
  CHECK(series_digest_warning(points, "drill", "sha1:aa", "history h.sqlite") ==
        "2 of the 3 run(s) of the series in history h.sqlite ran a different text of scenario 'drill' (sha1:00, now "
        "sha1:aa); comparing anyway");
}
