// Per strategy figures on synthetic samples and on a record built by hand.
#include <doctest/doctest.h>

#include "measure/strategy_stats.hpp"

using namespace faultline;

namespace {

StrategySample rec_ms(int ms) {
  StrategySample s;
  s.recovery_time = std::chrono::milliseconds(ms);
  s.ttrs = {std::chrono::milliseconds(ms)};
  return s;
}

StrategySample never() { return StrategySample{}; }

}  // namespace

TEST_CASE("strategy stats: percentiles of recovery time, nearest rank") {
  std::vector<StrategySample> s;
  for (int ms : {500, 100, 300, 200, 400}) s.push_back(rec_ms(ms));
  const StrategyStats st = summarize_strategy("a", s, 0);
  CHECK(st.iterations == 5);
  CHECK(st.not_recovered == 0);
  REQUIRE(st.recovery_p50);
  CHECK(st.recovery_p50->value == 300ms);
  CHECK(st.recovery_p95->value == 500ms);
  CHECK(st.recovery_max->value == 500ms);
  CHECK(st.ttr_n == 5);
  CHECK(*st.ttr_p50 == 300ms);
  CHECK(st.eligible);
}

TEST_CASE("strategy stats: a never-recovered iteration is '> deadline', never a number") {
  std::vector<StrategySample> s = {rec_ms(100), never(), never()};
  const StrategyStats st = summarize_strategy("a", s, 0);
  CHECK(st.not_recovered == 2);
  REQUIRE(st.recovery_p50);
  CHECK(st.recovery_p50->beyond_deadline);
  CHECK(st.recovery_max->beyond_deadline);
  CHECK(st.recovery_max->value == 0ns);
  CHECK(recovery_percentile(s, 0.2)->value == 100ms);
  CHECK_FALSE(recovery_percentile({}, 0.5).has_value());
  CHECK(st.ttr_n == 1);
}

TEST_CASE("strategy stats: data loss, failed steps and verifications, secondary outages make it ineligible") {
  auto lossy = std::vector<StrategySample>{rec_ms(10)};
  lossy[0].lost = 3;
  auto st = summarize_strategy("lossy", lossy, 0);
  CHECK_FALSE(st.eligible);
  CHECK(st.ineligible_why == "lost 3 acknowledged write(s)");

  auto unverified = std::vector<StrategySample>{rec_ms(10)};
  unverified[0].failed_verifications = 1;
  CHECK(summarize_strategy("v", unverified, 0).ineligible_why == "1 failed verification(s)");

  auto failing = std::vector<StrategySample>{rec_ms(10)};
  failing[0].failed_steps = 2;
  CHECK(summarize_strategy("f", failing, 0).ineligible_why == "2 failed runbook step(s)");

  std::vector<StrategySample> relapsing = {rec_ms(10), rec_ms(10), rec_ms(10), rec_ms(10)};
  relapsing[0].secondary_outage = true;
  st = summarize_strategy("r", relapsing, 0);
  CHECK(st.secondary_outages == 1);
  CHECK(st.secondary_outage_rate == doctest::Approx(0.25));
  CHECK_FALSE(st.eligible);
  CHECK(summarize_strategy("r", relapsing, 25).eligible);  // within the limit
  CHECK_FALSE(summarize_strategy("none", {}, 0).eligible);
}

TEST_CASE("strategy stats: availability combines the observed time of every iteration") {
  std::vector<StrategySample> s = {rec_ms(10), rec_ms(10)};
  s[0].up = 900ms;
  s[0].down = 100ms;
  s[1].up = 1000ms;
  const StrategyStats st = summarize_strategy("a", s, 0);
  REQUIRE(st.availability);
  CHECK(*st.availability == doctest::Approx(95.0));
}

TEST_CASE("strategy samples: the record's iterations grouped by strategy, secondary outages seen") {
  RunRecord rec;
  for (const char* n : {"a", "b"}) {
    StrategySpec st;
    st.name = n;
    rec.scenario.strategies.push_back(st);
  }
  rec.iteration_strategies = {"b", "a", "a", "b"};
  for (int i = 1; i <= 3; ++i) {  // iteration 4 never ran (a partial run)
    IterationMetrics m;
    m.index = i;
    m.recovered = i != 3;
    if (m.recovered) m.recovery_time = std::chrono::milliseconds(100 * i);
    Episode e;
    e.start = 1s;
    if (m.recovered) e.end = 2s;
    m.episodes.push_back(e);
    rec.iterations.push_back(m);
  }
  // Iteration 2 (a): a second episode after its runbook started, and a lost write.
  Episode late;
  late.start = 5s;
  late.end = 6s;
  rec.iterations[1].episodes.push_back(late);
  StepOutcome step;
  step.iteration = 2;
  step.phase = "recovery";
  step.name = "fix";
  step.start = 3s;
  step.end = 4s;
  step.ok = true;
  rec.steps.push_back(step);
  WorkloadResult w;
  w.iteration = 2;
  w.lost = 1;
  rec.workloads.push_back(w);

  const auto samples = strategy_samples(rec);
  REQUIRE(samples.size() == 2);
  REQUIRE(samples[0].size() == 2);  // a: iterations 2 and 3
  REQUIRE(samples[1].size() == 1);  // b: iteration 1 (4 never ran)
  CHECK(samples[0][0].secondary_outage);
  CHECK(samples[0][0].lost == 1);
  CHECK(samples[0][0].ttrs.size() == 2);
  CHECK_FALSE(samples[0][1].recovery_time.has_value());
  CHECK(*samples[1][0].recovery_time == 100ms);
  CHECK_FALSE(samples[1][0].secondary_outage);
}
