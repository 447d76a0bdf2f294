// The regression gate: limits are baseline x (1 + tolerance), margins limit
// - measured; "did not recover" is worse than any duration and no worse than
// itself; the baseline must be of the same scenario and have measured
// something; a changed scenario text is a warning, noted in the verdicts.
#include <doctest/doctest.h>

#include "measure/regression.hpp"
#include "report_fixtures.hpp"

using namespace faultline;

namespace {

Baseline baseline_of(RunRecord r, double tolerance = 0.2) {
  r.probes.clear();
  return Baseline{"before.json", std::move(r), tolerance, {}};
}

const Verdict& find(const std::vector<Verdict>& vs, const std::string& threshold) {
  for (const auto& v : vs)
    if (v.threshold == threshold) return v;
  FAIL("no verdict " << threshold);
  throw std::logic_error("unreachable");
}

bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("regression: a run as good as its baseline passes, limits at baseline + tolerance") {
  // passing(): recovery times 209.6, 299.6 and 0 (absorbed) ms; MTTR 205 ms.
  const RunRecord run = fixtures::passing();
  const auto vs = regression_verdicts(run, baseline_of(run));
  REQUIRE(vs.size() == 3);
  const Verdict& worst = find(vs, "regression.recovery_time_max");
  CHECK(worst.passed);
  CHECK(worst.scope == "run");
  CHECK(worst.measured == "299.600 ms");
  CHECK(worst.limit == "359.520 ms");
  CHECK(worst.margin == "+59.920 ms");
  CHECK(worst.detail == "baseline 299.600 ms (run 20261122-120102-3fa2c1, before.json) + 20 %; worst: iteration 2");
  const Verdict& p95 = find(vs, "regression.recovery_time_p95");
  CHECK(p95.passed);
  CHECK(p95.measured == "299.600 ms");  // nearest rank: the 3rd of 3
  const Verdict& mttr = find(vs, "regression.mttr");
  CHECK(mttr.passed);
  CHECK(mttr.measured == "205.000 ms");
  CHECK(mttr.limit == "246.000 ms");
  CHECK(mttr.margin == "+41.000 ms");
}

TEST_CASE("regression: worse than the baseline by more than the tolerance fails, with a negative margin") {
  RunRecord before = fixtures::passing();
  before.iterations[1].recovery_time = Nanos(200ms);  // the baseline's worst becomes iteration 1's 209.6 ms
  before.statistics.ttr.mean = Nanos(100ms);
  const RunRecord now = fixtures::passing();
  const auto vs = regression_verdicts(now, baseline_of(before, 0.1));
  const Verdict& worst = find(vs, "regression.recovery_time_max");
  CHECK_FALSE(worst.passed);
  CHECK(worst.limit == "230.560 ms");
  CHECK(worst.margin == "-69.040 ms");
  CHECK(contains(worst.detail, "baseline 209.600 ms (run 20261122-120102-3fa2c1, before.json) + 10 %"));
  CHECK_FALSE(find(vs, "regression.recovery_time_p95").passed);
  const Verdict& mttr = find(vs, "regression.mttr");
  CHECK_FALSE(mttr.passed);
  CHECK(mttr.limit == "110.000 ms");
  CHECK(mttr.margin == "-95.000 ms");

  // Exactly at the limit passes; a tolerance of 0 allows no regression at all.
  const auto same = regression_verdicts(now, baseline_of(now, 0.0));
  for (const auto& v : same) {
    CAPTURE(v.threshold);
    CHECK(v.passed);
    CHECK(v.margin == "+0.000 ms");
  }
}

TEST_CASE("regression: not recovered is worse than any duration, and no worse than a baseline that did not recover") {
  // failing(): iteration 2 never recovered (deadline 1 s), an episode open.
  const RunRecord down = fixtures::failing();
  const auto vs = regression_verdicts(down, baseline_of(fixtures::passing()));
  for (const auto& v : vs) {
    CAPTURE(v.threshold);
    CHECK_FALSE(v.passed);
    CHECK(v.measured == "> 1000.000 ms");
    CHECK(v.margin.empty());
  }
  CHECK(contains(find(vs, "regression.recovery_time_max").detail, "not recovered: iteration 2"));

  // Against a baseline that did not recover either, nothing is a regression.
  const auto both = regression_verdicts(down, baseline_of(down));
  for (const auto& v : both) {
    CAPTURE(v.threshold);
    CHECK(v.passed);
    CHECK(v.limit == "none");
    CHECK(contains(v.detail, "baseline > 1000.000 ms (run 20261122-120102-3fa2c1, before.json): did not recover"));
  }
  const auto better = regression_verdicts(fixtures::passing(), baseline_of(down));
  for (const auto& v : better) CHECK(v.passed);
}

TEST_CASE("regression: an absorbed baseline (recovery 0, no episode) makes any outage a regression") {
  RunRecord absorbed = fixtures::passing();
  absorbed.iterations = {absorbed.iterations[2]};  // the iteration that absorbed the fault
  absorbed.statistics = summarize(absorbed.iterations);
  REQUIRE(absorbed.statistics.episodes == 0);
  const auto vs = regression_verdicts(fixtures::passing(), baseline_of(absorbed));
  const Verdict& worst = find(vs, "regression.recovery_time_max");
  CHECK_FALSE(worst.passed);
  CHECK(worst.limit == "0.000 ms");
  const Verdict& mttr = find(vs, "regression.mttr");
  CHECK_FALSE(mttr.passed);
  CHECK(contains(mttr.detail, "baseline 0.000 ms"));
  // And an absorbed run against it passes.
  for (const auto& v : regression_verdicts(absorbed, baseline_of(absorbed))) CHECK(v.passed);
}

TEST_CASE("regression: p95 ranks unrecovered iterations last (nearest rank over every iteration)") {
  RunRecord many = fixtures::passing();
  IterationMetrics it = many.iterations[0];
  many.iterations.clear();
  for (int i = 1; i <= 20; ++i) {
    it.index = i;
    it.recovery_time = Nanos(std::chrono::milliseconds(10 * i));
    many.iterations.push_back(it);
  }
  // 1 of 20 not recovered (the 50 ms one): p95 is the 19th smallest, 200 ms; the worst is unbounded.
  many.iterations[4].recovered = false;
  many.iterations[4].recovery_time.reset();
  many.statistics = summarize(many.iterations);
  const auto vs = regression_verdicts(many, baseline_of(many));
  CHECK(find(vs, "regression.recovery_time_p95").measured == "200.000 ms");
  CHECK(find(vs, "regression.recovery_time_max").measured == "> 1000.000 ms");
  // Two of 20 not recovered: p95 is unbounded too.
  many.iterations[7].recovered = false;
  many.iterations[7].recovery_time.reset();
  const auto two = regression_verdicts(many, baseline_of(fixtures::passing()));
  CHECK(find(two, "regression.recovery_time_p95").measured == "> 1000.000 ms");
}

TEST_CASE("regression: no iteration measured, no verdict; the scenario's changed text is noted") {
  CHECK(regression_verdicts(fixtures::inconclusive(), baseline_of(fixtures::passing())).empty());
  RunRecord now = fixtures::passing();
  now.scenario_digest = "sha1:ffff";
  for (const auto& v : regression_verdicts(now, baseline_of(fixtures::passing())))
    CHECK(contains(v.detail, "; the scenario's text differs from the baseline's"));
}

TEST_CASE("regression: a baseline must be of the same scenario and have measured an iteration") {
  const Baseline b = baseline_of(fixtures::passing());
  CHECK(baseline_problem(b, "redis-kill-restart") == "");
  CHECK(baseline_problem(b, "other") == "before.json is a run of scenario 'redis-kill-restart', not of 'other'");
  CHECK(baseline_problem(baseline_of(fixtures::inconclusive()), "redis-kill-restart") ==
        "before.json has no measured iteration to compare with (outcome: inconclusive)");
  CHECK(baseline_warning(b, b.record.scenario_digest) == "");
  CHECK(baseline_warning(b, "sha1:ffff") ==
        "before.json ran a different text of scenario 'redis-kill-restart' "
        "(sha1:0123456789abcdef0123456789abcdef01234567, now sha1:ffff); comparing anyway");
}

TEST_CASE("regression: --max-regression takes a percentage") {
  CHECK(parse_tolerance("20%") == doctest::Approx(0.2));
  CHECK(parse_tolerance("20") == doctest::Approx(0.2));
  CHECK(parse_tolerance("12.5 %") == doctest::Approx(0.125));
  CHECK(parse_tolerance("0%") == doctest::Approx(0.0));
  CHECK(parse_tolerance("250%") == doctest::Approx(2.5));
  for (const char* bad : {"", "%", "-5%", "abc", "20%%", "20 percent", "inf", "nan", "1e999"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_tolerance(bad).has_value());
  }
  CHECK(tolerance_text(0.2) == "20 %");
  CHECK(tolerance_text(0.125) == "12.5 %");
}
