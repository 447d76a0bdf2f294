// Unit tests of measurement (docs/design.md section 3) on synthetic sample streams.
// Every probe ticks every 100ms from t = 0 unless a test says otherwise, so
// sample k starts at k * 100ms and the expected times can be read off the
// outcome strings.
#include <doctest/doctest.h>

#include <cctype>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "measure/measurement.hpp"

using namespace faultline;

namespace {

/// A probe's samples from outcomes such as "11ok 3fail 2skip 6ok": a count
/// (default 1) and "ok", "fail" or "skip" (a tick with no sample, as when the
/// previous execution overran). Sample k starts at first + k * interval.
ProbeSeries series(const std::string& name, const std::string& outcomes,
                   Nanos interval = 100ms, bool steady = true, Nanos first = 0ns) {
  ProbeSeries s;
  s.name = name;
  s.interval = interval;
  s.steady_state = steady;
  std::istringstream in(outcomes);
  std::string token;
  Nanos t = first;
  while (in >> token) {
    std::size_t digits = 0;
    while (digits < token.size() && std::isdigit(static_cast<unsigned char>(token[digits])))
      ++digits;
    const int count = digits ? std::stoi(token.substr(0, digits)) : 1;
    const std::string word = token.substr(digits);
    REQUIRE((word == "ok" || word == "fail" || word == "skip"));
    for (int i = 0; i < count; ++i, t += interval) {
      if (word == "skip") {
        ++s.overruns;
        continue;
      }
      s.samples.push_back({t, t + 1ms, word == "ok", word});
    }
  }
  return s;
}

/// A probe with samples at explicit start times (irregular spacing).
ProbeSeries at_times(const std::string& name, Nanos interval,
                     const std::vector<std::pair<Nanos, bool>>& samples) {
  ProbeSeries s;
  s.name = name;
  s.interval = interval;
  for (const auto& [t, ok] : samples) s.samples.push_back({t, t + 1ms, ok, ""});
  return s;
}

/// The injection starts and returns at `inject` unless `inject_start` differs.
IterationWindow window(Nanos inject, Nanos observed_until, Nanos inject_start = -1ns) {
  IterationWindow w;
  w.index = 1;
  w.start = 0ns;
  w.inject_start = inject_start < 0ns ? inject : inject_start;
  w.inject = inject;
  w.observed_until = observed_until;
  return w;
}

MeasureParams params(int samples = 3, Nanos watch = 500ms, Nanos give_up = 10s,
                     Nanos duration = 0ns) {
  MeasureParams p;
  p.recovered_after.samples = samples;
  p.recovered_after.duration = duration;
  p.watch = watch;
  p.give_up_after = give_up;
  return p;
}

IterationMetrics measure(const std::vector<ProbeSeries>& probes, const IterationWindow& w,
                         const MeasureParams& p = params()) {
  return measure_iteration(probes, w, p);
}

std::vector<Nanos> episode_starts(const IterationMetrics& m) {
  std::vector<Nanos> out;
  for (const auto& e : m.episodes) out.push_back(e.start);
  return out;
}

std::vector<bool> relapse_flags(const IterationMetrics& m) {
  std::vector<bool> out;
  for (const auto& e : m.episodes) out.push_back(e.relapse);
  return out;
}

const Availability& availability(const IterationMetrics& m, const std::string& probe) {
  for (const auto& a : m.availability)
    if (a.probe == probe) return a;
  FAIL("no availability entry for " << probe);
  return m.availability.front();
}

}  // namespace

TEST_CASE("measurement: a simple outage, exact to the nanosecond") {
  // ok up to 1000ms, failing at 1100..1300, ok again from 1400.
  const std::vector probes{series("api", "11ok 3fail 6ok")};
  auto w = window(1000ms + 2'000'345ns, 1900ms, 1000ms);
  const auto m = measure(probes, w);

  CHECK(m.impact);
  CHECK(m.recovered);
  CHECK(m.t_fail == 1100ms);
  CHECK(m.t_recover == 1400ms);
  CHECK(m.ttd == 97'999'655ns);
  CHECK(m.ttr == 300ms);
  CHECK(m.recovery_time == 397'999'655ns);
  CHECK_FALSE(m.recovery_after_revert);
  CHECK(m.deadline == w.inject + 10s);
  CHECK(m.uncertainty == 100ms);
  CHECK(m.relapses == 0);
  REQUIRE(m.episodes.size() == 1);
  CHECK(m.episodes[0].start == 1100ms);
  CHECK(m.episodes[0].end == 1400ms);
  CHECK_FALSE(m.episodes[0].relapse);
  CHECK(m.episodes[0].failing_probes == std::vector<std::string>{"api"});
  // 1000..1900: ten samples, three of them failing.
  CHECK(availability(m, "api").ok == 7);
  CHECK(availability(m, "api").total == 10);
  CHECK(m.availability.back().probe == "combined");
  CHECK(m.availability.back().ok == 7);
  CHECK(m.availability.back().total == 10);

  SUBCASE("recovery after revert is signed") {
    w.revert = 1300ms;
    CHECK(measure(probes, w).recovery_after_revert == 100ms);
    w.revert = 1500ms;
    CHECK(measure(probes, w).recovery_after_revert == -100ms);
  }
}

TEST_CASE("measurement: TTD and recovery time are clamped at 0 when a sample starts during inject") {
  // The failing sample at 1000ms started after inject_start (990ms) but
  // before inject returned (1050ms).
  const std::vector probes{series("api", "10ok 3fail 6ok")};
  const auto m = measure(probes, window(1050ms, 1800ms, 990ms));
  CHECK(m.t_fail == 1000ms);
  CHECK(m.ttd == 0ns);
  CHECK(m.t_recover == 1300ms);
  CHECK(m.ttr == 300ms);
  CHECK(m.recovery_time == 250ms);

  // Recovery itself inside the inject call: recovery time 0, not negative.
  const std::vector quick{series("api", "10ok 1fail 8ok", 10ms)};
  const auto q = measure(quick, window(150ms, 180ms, 95ms));
  CHECK(q.t_fail == 100ms);
  CHECK(q.t_recover == 110ms);
  CHECK(q.recovery_time == 0ns);
  CHECK(q.ttd == 0ns);
}

TEST_CASE("measurement: an absorbed fault") {
  const std::vector probes{series("api", "20ok")};
  const auto m = measure(probes, window(1000ms, 1900ms));
  CHECK_FALSE(m.impact);
  CHECK(m.recovered);
  CHECK(m.recovery_time == 0ns);
  CHECK_FALSE(m.ttd);
  CHECK_FALSE(m.ttr);
  CHECK_FALSE(m.t_fail);
  CHECK_FALSE(m.t_recover);
  CHECK(m.episodes.empty());
  CHECK(m.relapses == 0);
  CHECK(m.availability.back().ok == 10);
}

TEST_CASE("measurement: a failure that began before the injection") {
  SUBCASE("over before the injection started: absorbed") {
    const std::vector probes{series("api", "5ok 3fail 12ok")};  // failing 500..700
    const auto m = measure(probes, window(1000ms, 1900ms));
    CHECK_FALSE(m.impact);
    CHECK(m.episodes.empty());
    CHECK(availability(m, "api").ok == availability(m, "api").total);
  }
  SUBCASE("still failing at the injection: only samples from inject_start count") {
    const std::vector probes{series("api", "8ok 5fail 7ok")};  // failing 800..1200
    const auto m = measure(probes, window(960ms, 1900ms, 950ms));
    CHECK(m.t_fail == 1000ms);
    CHECK(m.ttd == 40ms);
    CHECK(m.t_recover == 1300ms);
    CHECK(m.ttr == 300ms);
  }
}

TEST_CASE("measurement: flapping shorter than recovered_after stays one episode") {
  // fail 1100; ok 1200, 1300; fail 1400, 1500; ok 1600..1900.
  const std::vector probes{series("api", "11ok 1fail 2ok 2fail 4ok")};
  const auto w = window(1000ms, 1900ms);

  const auto m = measure(probes, w, params(3));
  REQUIRE(m.episodes.size() == 1);
  CHECK(m.t_recover == 1600ms);
  CHECK(m.ttr == 500ms);
  CHECK(m.relapses == 0);

  // Two ok samples are enough with samples = 2: recovered at 1200, relapse at 1400.
  const auto two = measure(probes, w, params(2));
  CHECK(two.t_recover == 1200ms);
  CHECK(episode_starts(two) == std::vector<Nanos>{1100ms, 1400ms});
  CHECK(relapse_flags(two) == std::vector<bool>{false, true});
  CHECK(two.episodes[1].end == 1600ms);
}

TEST_CASE("measurement: recovered_after as a duration") {
  // fail 1100..1300; ok 1400, 1500; fail 1600; ok 1700..2100.
  const std::vector probes{series("api", "11ok 3fail 2ok 1fail 5ok")};

  SUBCASE("a failure inside the duration discards the candidate") {
    const auto m = measure(probes, window(1000ms, 2100ms), params(1, 500ms, 10s, 250ms));
    REQUIRE(m.episodes.size() == 1);
    CHECK(m.t_recover == 1700ms);
    // Without the duration, one ok sample would have recovered at 1400.
    const auto count_only = measure(probes, window(1000ms, 2100ms), params(1));
    CHECK(count_only.t_recover == 1400ms);
    CHECK(count_only.episodes.size() == 2);
  }
  SUBCASE("the span from T to the confirming sample must reach the duration") {
    const auto p = params(1, 500ms, 10s, 300ms);
    CHECK(measure(probes, window(1000ms, 2000ms), p).t_recover == 1700ms);
    const auto short_of_it = measure(probes, window(1000ms, 1999ms), p);
    CHECK_FALSE(short_of_it.recovered);
    CHECK_FALSE(short_of_it.t_recover);
  }
}

TEST_CASE("measurement: two steady-state probes, one recovering later") {
  // db fails 1100..1500; api fails 1300 and again at 1900.
  const std::vector probes{series("api", "13ok 1fail 5ok 1fail 2ok"),
                           series("db", "11ok 5fail 6ok")};
  const auto m = measure(probes, window(1000ms, 2100ms));
  CHECK(m.t_fail == 1100ms);
  // api is fine again at 1400, but db only at 1600: combined health decides.
  CHECK(m.t_recover == 1600ms);
  CHECK(m.ttr == 500ms);
  REQUIRE(m.episodes.size() == 2);
  // Declaration order, although db failed first.
  CHECK(m.episodes[0].failing_probes == std::vector<std::string>{"api", "db"});
  // The samples at 1600, 1700 and 1800 of both probes (api's sample at T comes
  // first in the tie order and still counts) confirm T by 1800, so api's
  // failure at 1900 is a relapse, not part of the first episode.
  CHECK(m.episodes[0].end == 1600ms);
  CHECK(m.episodes[1].start == 1900ms);
  CHECK(m.episodes[1].relapse);
  CHECK(m.episodes[1].failing_probes == std::vector<std::string>{"api"});
  // 1000..2100: twelve samples of each probe; api failed twice, db five times.
  CHECK(m.availability.back().total == 24);
  CHECK(m.availability.back().ok == 24 - 2 - 5);
}

TEST_CASE("measurement: a probe with no sample yet does not make the system unhealthy") {
  // db's first sample starts at 1450ms, after api is ok again at 1400ms.
  const std::vector probes{series("api", "11ok 3fail 10ok"),
                           series("db", "10ok", 100ms, true, 1450ms)};
  const auto m = measure(probes, window(1000ms, 2300ms));
  CHECK(m.t_recover == 1400ms);
  // Confirmation still needs three ok db samples: 1450, 1550, 1650.
  CHECK_FALSE(measure(probes, window(1000ms, 1649ms)).recovered);
  CHECK(measure(probes, window(1000ms, 1650ms)).recovered);
}

TEST_CASE("measurement: a slow probe must see recovered_after samples too") {
  // api every 100ms fails 1000..1200; db every 500ms fails at 1000 only.
  const auto db = series("db", "2ok 1fail 6ok", 500ms);  // 0..4000
  SUBCASE("confirmed on db's third ok sample") {
    const std::vector probes{series("api", "10ok 3fail 23ok"), db};
    const auto m = measure(probes, window(950ms, 3500ms));
    CHECK(m.t_fail == 1000ms);
    CHECK(m.t_recover == 1500ms);  // api was ok from 1300 but db failed until 1500
    CHECK(m.uncertainty == 500ms);
    CHECK(m.episodes.size() == 1);
  }
  SUBCASE("an api failure while waiting for db discards the candidate") {
    // api fails again at 2200: T=1500 is not yet confirmed (db needs 2500).
    const std::vector probes{series("api", "10ok 3fail 9ok 1fail 13ok"), db};
    const auto m = measure(probes, window(950ms, 3500ms));
    REQUIRE(m.episodes.size() == 1);
    CHECK(m.t_recover == 2300ms);  // confirmed by db's samples at 2500, 3000, 3500
    CHECK(m.ttr == 1300ms);
    const auto earlier = measure(probes, window(950ms, 3499ms));
    CHECK_FALSE(earlier.recovered);
  }
}

TEST_CASE("measurement: a non-steady-state probe gets availability but makes no episodes") {
  const std::vector probes{series("api", "20ok"), series("dashboard", "11ok 9fail", 100ms, false)};
  const auto m = measure(probes, window(1000ms, 1900ms));
  CHECK_FALSE(m.impact);
  CHECK(m.episodes.empty());
  REQUIRE(m.availability.size() == 3);
  CHECK(m.availability[0].probe == "api");
  CHECK(m.availability[0].ok == 10);
  CHECK(m.availability[1].probe == "dashboard");
  CHECK(m.availability[1].ok == 1);
  CHECK(m.availability[1].total == 10);
  CHECK(m.availability[2].probe == "combined");
  CHECK(m.availability[2].ok == 10);
  CHECK(m.availability[2].total == 10);
  CHECK(m.uncertainty == 100ms);
}

TEST_CASE("measurement: recovery exactly at the deadline counts, one sample later does not") {
  const auto p = params(3, 500ms, 400ms);  // deadline = 1000 + 400 = 1400ms
  const auto at_deadline = measure({series("api", "11ok 3fail 6ok")}, window(1000ms, 1900ms), p);
  CHECK(at_deadline.deadline == 1400ms);
  CHECK(at_deadline.recovered);
  CHECK(at_deadline.t_recover == 1400ms);  // confirmed at 1600, after the deadline
  CHECK(at_deadline.recovery_time == 400ms);

  const auto late = measure({series("api", "11ok 4fail 5ok")}, window(1000ms, 1900ms), p);
  CHECK(late.impact);
  CHECK_FALSE(late.recovered);
  CHECK_FALSE(late.t_recover);
  CHECK_FALSE(late.recovery_time);
  CHECK_FALSE(late.ttr);
  CHECK(late.ttd == 100ms);
  REQUIRE(late.episodes.size() == 1);
  CHECK_FALSE(late.episodes[0].end);

  Thresholds t;
  t.rto = 1s;
  const auto v = judge(t, {late}, summarize({late}), p);
  REQUIRE(v.size() == 1);
  CHECK(v[0].threshold == "rto");
  CHECK_FALSE(v[0].passed);
  CHECK(v[0].measured == "> 400.000 ms");
  CHECK(v[0].margin.empty());
  CHECK(v[0].detail.find("iteration 1") != std::string::npos);
}

TEST_CASE("measurement: relapses and the watch window") {
  SUBCASE("a relapse within watch") {
    // fail 1100..1300, ok 1400..1700, fail 1800, ok 1900..2300.
    const auto m = measure({series("api", "11ok 3fail 4ok 1fail 5ok")}, window(1000ms, 2300ms));
    CHECK(episode_starts(m) == std::vector<Nanos>{1100ms, 1800ms});
    CHECK(relapse_flags(m) == std::vector<bool>{false, true});
    CHECK(m.relapses == 1);
    CHECK(m.episodes[1].end == 1900ms);
    CHECK(m.ttr == 300ms);  // the iteration's TTR is the first episode's
    CHECK(m.t_recover == 1400ms);
  }

  // Recovered at 1400; failing again at 1900, i.e. t_recover + 500ms.
  const std::vector probes{series("api", "11ok 3fail 5ok 1fail 5ok")};
  const auto w = window(1000ms, 2400ms);
  SUBCASE("a relapse on the last sample of the watch window counts") {
    const auto m = measure(probes, w, params(3, 500ms));
    CHECK(m.relapses == 1);
    CHECK(relapse_flags(m) == std::vector<bool>{false, true});
  }
  SUBCASE("an episode just after the watch window is ignored") {
    const auto m = measure(probes, w, params(3, 500ms - 1ns));
    CHECK(m.episodes.size() == 1);
    CHECK(m.relapses == 0);
  }
  SUBCASE("an episode after a later injection is a plain episode") {
    auto later = w;
    later.later_injections = {1850ms};  // after the watch window of 300ms
    const auto m = measure(probes, later, params(3, 300ms));
    CHECK(episode_starts(m) == std::vector<Nanos>{1100ms, 1900ms});
    CHECK(relapse_flags(m) == std::vector<bool>{false, false});
    CHECK(m.relapses == 0);

    later.later_injections = {1700ms};  // inside the watch window: still not a relapse
    CHECK(relapse_flags(measure(probes, later, params(3, 500ms))) ==
          std::vector<bool>{false, false});
    later.later_injections = {1400ms};  // exactly at t_recover
    CHECK(relapse_flags(measure(probes, later, params(3, 500ms))) ==
          std::vector<bool>{false, false});
    later.later_injections = {1950ms};  // after the episode began: a relapse
    CHECK(relapse_flags(measure(probes, later, params(3, 500ms))) ==
          std::vector<bool>{false, true});
  }
  SUBCASE("an episode after a later injection has its own deadline") {
    auto later = w;
    later.later_injections = {5s};
    // fail 1100; ok 1200..; fail 5500..5900; ok 6000..
    const std::vector long_run{series("api", "11ok 1fail 43ok 5fail 5ok")};
    later.observed_until = 6400ms;
    const auto m = measure(long_run, later, params(3, 500ms, 400ms));
    REQUIRE(m.episodes.size() == 2);
    CHECK_FALSE(m.episodes[1].relapse);
    CHECK_FALSE(m.episodes[1].end);  // 5500 + 400ms < 6000
    const auto generous = measure(long_run, later, params(3, 500ms, 500ms));
    CHECK(generous.episodes[1].end == 6000ms);
  }
}

TEST_CASE("measurement: chained relapses are measured from the previous recovery") {
  // fail 1100, 1200 -> T 1300; fail 1600 -> T 1700; fail 2000 -> T 2100.
  const std::vector probes{series("api", "11ok 2fail 3ok 1fail 3ok 1fail 4ok")};
  const auto w = window(1000ms, 2400ms);
  const auto m = measure(probes, w, params(3, 350ms));
  CHECK(episode_starts(m) == std::vector<Nanos>{1100ms, 1600ms, 2000ms});
  CHECK(relapse_flags(m) == std::vector<bool>{false, true, true});
  CHECK(m.relapses == 2);
  CHECK(m.episodes[1].end == 1700ms);
  CHECK(m.episodes[2].end == 2100ms);
  // With a 250ms window the first relapse is outside it, and so is the next
  // one (still measured from the recovery at 1300).
  CHECK(measure(probes, w, params(3, 250ms)).episodes.size() == 1);
}

TEST_CASE("measurement: a probe that overruns its interval (irregular spacing)") {
  std::vector<std::pair<Nanos, bool>> samples;
  for (int k = 0; k <= 10; ++k) samples.push_back({k * 100ms, true});
  // 1100 fails and overruns: the ticks at 1200..1400 are missed; 1700 too.
  for (auto [t, ok] : std::vector<std::pair<Nanos, bool>>{
           {1100ms, false}, {1450ms, false}, {1500ms, true}, {1600ms, true}, {1800ms, true},
           {1900ms, true}})
    samples.push_back({t, ok});
  const std::vector probes{at_times("api", 100ms, samples)};
  const auto m = measure(probes, window(1000ms, 1900ms));
  CHECK(m.t_fail == 1100ms);
  CHECK(m.t_recover == 1500ms);
  CHECK(m.ttr == 400ms);
  CHECK(availability(m, "api").total == 7);
  CHECK(availability(m, "api").ok == 5);

  // Missed ticks written with "skip": confirmation waits for real samples.
  const std::vector skipping{series("api", "11ok 2fail 1ok 3skip 2ok")};
  CHECK(skipping.front().overruns == 3);
  const auto s = measure(skipping, window(1000ms, 1800ms));
  CHECK(s.t_recover == 1300ms);
  CHECK_FALSE(measure(skipping, window(1000ms, 1799ms)).recovered);
}

TEST_CASE("measurement: observation_complete") {
  const auto p = params(3, 500ms, 10s);

  SUBCASE("absorbed: watch after the injection, the revert or a later injection") {
    const std::vector probes{series("api", "30ok")};
    auto w = window(1000ms, 2900ms);
    CHECK_FALSE(observation_complete(probes, w, p, 1499ms));
    CHECK(observation_complete(probes, w, p, 1500ms));
    w.revert = 1200ms;
    CHECK_FALSE(observation_complete(probes, w, p, 1699ms));
    CHECK(observation_complete(probes, w, p, 1700ms));
    w.later_injections = {1300ms};
    CHECK_FALSE(observation_complete(probes, w, p, 1799ms));
    CHECK(observation_complete(probes, w, p, 1800ms));
  }
  SUBCASE("absorbed needs recovered_after samples started after the fault, even with no watch") {
    // Samples every 100 ms; the injection at 1000 ms; no watch window. At
    // 1050 ms nothing has been seen since the injection: a failing sample
    // may still be in flight, so the iteration is not yet absorbed.
    const auto no_watch = params(3, 0ms, 10s);
    const std::vector probes{series("api", "30ok")};
    const auto w = window(1000ms, 2900ms);
    CHECK_FALSE(observation_complete(probes, w, no_watch, 1050ms));
    CHECK_FALSE(observation_complete(probes, w, no_watch, 1100ms));  // 2 samples: 1000, 1100
    CHECK(observation_complete(probes, w, no_watch, 1200ms));        // 3 samples
    // A probe that has not reported since the fault keeps it open.
    const std::vector two{series("api", "30ok"), series("db", "10ok")};
    CHECK_FALSE(observation_complete(two, w, no_watch, 1500ms));
  }
  SUBCASE("recovered: watch after t_recover, not while an episode is open") {
    const std::vector probes{series("api", "11ok 3fail 16ok")};
    const auto w = window(1000ms, 2900ms);
    CHECK_FALSE(observation_complete(probes, w, p, 1200ms));
    CHECK_FALSE(observation_complete(probes, w, p, 1500ms));  // T=1400 not yet confirmed
    CHECK_FALSE(observation_complete(probes, w, p, 1899ms));
    CHECK(observation_complete(probes, w, p, 1900ms));

    // A relapse at 1800 (recovered at 1900) moves the end of the watch to 2400.
    const std::vector relapsing{series("api", "11ok 3fail 4ok 1fail 11ok")};
    CHECK_FALSE(observation_complete(relapsing, w, p, 1900ms));
    CHECK_FALSE(observation_complete(relapsing, w, p, 2399ms));
    CHECK(observation_complete(relapsing, w, p, 2400ms));
  }
  SUBCASE("recovered: a later injection inside the watch window extends it") {
    const std::vector probes{series("api", "11ok 3fail 16ok")};  // t_recover 1400
    auto w = window(1000ms, 2900ms);
    w.later_injections = {1700ms};
    CHECK_FALSE(observation_complete(probes, w, p, 1900ms));
    CHECK_FALSE(observation_complete(probes, w, p, 2199ms));
    CHECK(observation_complete(probes, w, p, 2200ms));
  }
  SUBCASE("an open episode: past its deadline with no candidate awaiting confirmation") {
    const auto short_p = params(3, 500ms, 400ms);  // deadline 1400ms
    const auto w = window(1000ms, 2900ms);
    const std::vector down{series("api", "11ok 10fail 10ok")};
    CHECK_FALSE(observation_complete(down, w, short_p, 1400ms));
    CHECK(observation_complete(down, w, short_p, 1400ms + 1ns));

    // ok at 1400 == deadline: wait for the confirmation (at 1600), then the watch.
    const std::vector at_deadline{series("api", "11ok 3fail 16ok")};
    CHECK_FALSE(observation_complete(at_deadline, w, short_p, 1500ms));
    CHECK_FALSE(observation_complete(at_deadline, w, short_p, 1600ms));
    CHECK_FALSE(observation_complete(at_deadline, w, short_p, 1899ms));
    CHECK(observation_complete(at_deadline, w, short_p, 1900ms));

    // The candidate at 1400 is discarded by the failure at 1500.
    const std::vector flap{series("api", "11ok 3fail 1ok 1fail 14ok")};
    CHECK_FALSE(observation_complete(flap, w, short_p, 1450ms));
    CHECK(observation_complete(flap, w, short_p, 1500ms));
  }
  SUBCASE("the hard cap: deadline + give_up_after + watch") {
    // db stops reporting after 1000ms, so T=1400 can never be confirmed.
    const std::vector probes{series("api", "11ok 3fail 20ok"), series("db", "11ok")};
    const auto short_p = params(3, 500ms, 400ms);
    const auto w = window(1000ms, 3300ms);
    CHECK_FALSE(observation_complete(probes, w, short_p, 2300ms - 1ns));
    CHECK(observation_complete(probes, w, short_p, 2300ms));
    CHECK_FALSE(measure(probes, window(1000ms, 2300ms), short_p).recovered);
  }
}

TEST_CASE("measurement: stats_of with nearest-rank percentiles") {
  const Stats empty = stats_of({});
  CHECK(empty.count == 0);
  CHECK(empty.mean == 0ns);
  CHECK(empty.p50 == 0ns);
  CHECK(empty.p95 == 0ns);
  CHECK(empty.max == 0ns);
  CHECK(empty.stddev == 0ns);

  const Stats one = stats_of({7ms});
  CHECK(one.count == 1);
  CHECK(one.mean == 7ms);
  CHECK(one.p50 == 7ms);
  CHECK(one.p95 == 7ms);
  CHECK(one.stddev == 0ns);

  const Stats three = stats_of({30ms, 10ms, 20ms});  // ranks ceil(1.5)=2, ceil(2.85)=3
  CHECK(three.p50 == 20ms);
  CHECK(three.p95 == 30ms);
  CHECK(three.mean == 20ms);

  const Stats textbook = stats_of({9ms, 2ms, 4ms, 4ms, 5ms, 4ms, 7ms, 5ms});
  CHECK(textbook.count == 8);
  CHECK(textbook.mean == 5ms);
  CHECK(textbook.stddev == 2ms);
  CHECK(textbook.p50 == 4ms);  // rank 4
  CHECK(textbook.p95 == 9ms);  // rank ceil(7.6) = 8
  CHECK(textbook.max == 9ms);

  std::vector<Nanos> twenty;
  for (int i = 20; i >= 1; --i) twenty.push_back(i * 1ms);
  const Stats s = stats_of(twenty);
  CHECK(s.mean == 10'500us);
  CHECK(s.p50 == 10ms);  // rank 10
  CHECK(s.p95 == 19ms);  // rank 19
  CHECK(s.max == 20ms);
  CHECK(s.stddev == 5'766'281ns);  // sqrt((20^2 - 1) / 12) ms
}

namespace {

/// Synthetic iteration metrics for summarize and judge.
IterationMetrics iteration(int index, std::optional<Nanos> ttd, std::vector<Episode> episodes,
                           std::uint64_t ok = 100, std::uint64_t total = 100) {
  IterationMetrics m;
  m.index = index;
  m.impact = ttd.has_value();
  m.ttd = ttd;
  m.episodes = std::move(episodes);
  if (!m.impact) {
    m.recovered = true;
    m.recovery_time = 0ns;
  } else if (!m.episodes.empty() && m.episodes.front().end) {
    m.recovered = true;
    m.t_recover = m.episodes.front().end;
    m.recovery_time = *m.t_recover;  // t_inject = 0 in these iterations
  }
  for (const auto& e : m.episodes) m.relapses += e.relapse ? 1 : 0;
  m.availability = {{"api", ok, total}, {"web", 1, 2}, {"combined", ok, total}};
  return m;
}

Episode episode(Nanos start, std::optional<Nanos> end, bool relapse = false) {
  Episode e;
  e.start = start;
  e.end = end;
  e.relapse = relapse;
  return e;
}

}  // namespace

TEST_CASE("measurement: summarize across iterations") {
  const std::vector iterations{
      iteration(1, 100ms, {episode(100ms, 400ms), episode(600ms, 700ms, true)}, 90, 100),
      iteration(2, std::nullopt, {}, 100, 100),
      iteration(3, 50ms, {episode(50ms, std::nullopt)}, 50, 100),
  };
  const RunStatistics r = summarize(iterations);
  CHECK(r.ttd.count == 2);
  CHECK(r.ttd.mean == 75ms);
  CHECK(r.ttd.max == 100ms);
  CHECK(r.ttr.count == 2);  // the unrecovered episode has no TTR
  CHECK(r.ttr.mean == 200ms);
  CHECK(r.ttr.max == 300ms);
  CHECK(r.recovery_time.count == 2);  // iterations 1 (400ms) and 2 (absorbed: 0)
  CHECK(r.recovery_time.mean == 200ms);
  CHECK(r.episodes == 3);
  CHECK(r.unrecovered_episodes == 1);
  CHECK(r.recurrence == 1);
  CHECK(r.recurrence_rate == doctest::Approx(1.0 / 3.0));
  REQUIRE(r.availability.size() == 3);
  CHECK(r.availability[0].probe == "api");
  CHECK(r.availability[0].ok == 240);
  CHECK(r.availability[0].total == 300);
  CHECK(r.availability[1].probe == "web");
  CHECK(r.availability[1].ok == 3);
  CHECK(r.availability[1].total == 6);
  CHECK(r.availability[2].probe == "combined");
  CHECK(r.availability[2].ok == 240);

  const RunStatistics none = summarize({});
  CHECK(none.episodes == 0);
  CHECK(none.recurrence_rate == 0.0);
}

TEST_CASE("measurement: judge, every verdict and its margin") {
  const auto p = params(3, 500ms, 30s);
  // An iteration with impact whose only episode recovers at `recovery`
  // (its recovery time, t_inject being 0), or never.
  auto rto_of = [](int index, std::optional<Nanos> recovery) {
    return iteration(index, 10ms, {episode(10ms, recovery)});
  };

  SUBCASE("order and scope; absent thresholds give no verdict") {
    Thresholds t;
    t.rto = 1s;
    t.ttd = 1s;
    t.mttr = 1s;
    t.max_recurrence = 0;
    t.min_availability = 50.0;
    const std::vector its{rto_of(1, 100ms)};
    const auto v = judge(t, its, summarize(its), p);
    REQUIRE(v.size() == 5);
    CHECK(v[0].threshold == "rto");
    CHECK(v[1].threshold == "ttd");
    CHECK(v[2].threshold == "mttr");
    CHECK(v[3].threshold == "max_recurrence");
    CHECK(v[4].threshold == "min_availability");
    for (const auto& x : v) CHECK(x.scope == "run");
    CHECK(judge(Thresholds{}, its, summarize(its), p).empty());
    t.rto.reset();
    t.mttr.reset();
    const auto partial = judge(t, its, summarize(its), p);
    REQUIRE(partial.size() == 3);
    CHECK(partial[0].threshold == "ttd");
  }

  SUBCASE("rto") {
    Thresholds t;
    t.rto = 2000ms;
    const std::vector its{rto_of(1, 400ms), iteration(2, std::nullopt, {}),
                          rto_of(3, 412'118us)};
    auto v = judge(t, its, summarize(its), p).at(0);
    CHECK(v.passed);
    CHECK(v.measured == "412.118 ms");
    CHECK(v.limit == "2000.000 ms");
    CHECK(v.margin == "+1587.882 ms");
    CHECK(v.detail == "worst: iteration 3");

    t.rto = 400'118us;
    v = judge(t, its, summarize(its), p).at(0);
    CHECK_FALSE(v.passed);
    CHECK(v.margin == "-12.000 ms");

    t.rto = 412'118us;  // equal to the limit: holds
    v = judge(t, its, summarize(its), p).at(0);
    CHECK(v.passed);
    CHECK(v.margin == "+0.000 ms");

    const std::vector lost{rto_of(1, 400ms), rto_of(2, std::nullopt), rto_of(3, std::nullopt)};
    t.rto = 2000ms;
    v = judge(t, lost, summarize(lost), p).at(0);
    CHECK_FALSE(v.passed);
    CHECK(v.measured == "> 30000.000 ms");
    CHECK(v.limit == "2000.000 ms");
    CHECK(v.margin.empty());
    CHECK(v.detail.find("iterations 2, 3") != std::string::npos);
  }

  SUBCASE("ttd") {
    Thresholds t;
    t.ttd = 100ms;
    const std::vector its{iteration(1, 80ms, {episode(80ms, 200ms)}),
                          iteration(2, 112ms, {episode(112ms, 300ms)}),
                          iteration(3, std::nullopt, {})};
    auto v = judge(t, its, summarize(its), p).at(0);
    CHECK_FALSE(v.passed);
    CHECK(v.measured == "112.000 ms");
    CHECK(v.limit == "100.000 ms");
    CHECK(v.margin == "-12.000 ms");
    CHECK(v.detail == "worst: iteration 2");

    t.ttd = 200ms;
    CHECK(judge(t, its, summarize(its), p).at(0).passed);

    const std::vector absorbed{iteration(1, std::nullopt, {}), iteration(2, std::nullopt, {})};
    v = judge(t, absorbed, summarize(absorbed), p).at(0);
    CHECK(v.passed);
    CHECK(v.measured == "no impact");
    CHECK(v.margin.empty());
  }

  SUBCASE("mttr") {
    Thresholds t;
    t.mttr = 250ms;
    const std::vector its{iteration(1, 10ms, {episode(0ms, 100ms), episode(200ms, 500ms, true)}),
                          iteration(2, 10ms, {episode(0ms, 200ms)})};  // TTRs 100, 300, 200
    auto v = judge(t, its, summarize(its), p).at(0);
    CHECK(v.passed);
    CHECK(v.measured == "200.000 ms");
    CHECK(v.limit == "250.000 ms");
    CHECK(v.margin == "+50.000 ms");
    CHECK(v.detail == "worst: iteration 1");

    t.mttr = 150ms;
    v = judge(t, its, summarize(its), p).at(0);
    CHECK_FALSE(v.passed);
    CHECK(v.margin == "-50.000 ms");

    const std::vector open{iteration(1, 10ms, {episode(0ms, 100ms)}),
                           iteration(2, 10ms, {episode(0ms, std::nullopt)})};
    v = judge(t, open, summarize(open), p).at(0);
    CHECK_FALSE(v.passed);
    CHECK(v.measured == "> 30000.000 ms");
    CHECK(v.margin.empty());

    const std::vector none{iteration(1, std::nullopt, {})};
    v = judge(t, none, summarize(none), p).at(0);
    CHECK(v.passed);
    CHECK(v.measured == "0.000 ms");
    CHECK(v.detail == "no episodes");
  }

  SUBCASE("max_recurrence") {
    Thresholds t;
    t.max_recurrence = 3;
    const std::vector its{iteration(1, 10ms, {episode(0ms, 100ms)}),
                          iteration(2, 10ms, {episode(0ms, 100ms), episode(200ms, 300ms, true)})};
    auto v = judge(t, its, summarize(its), p).at(0);
    CHECK(v.passed);
    CHECK(v.measured == "1");
    CHECK(v.limit == "3");
    CHECK(v.margin == "+2");
    CHECK(v.detail == "worst: iteration 2");

    t.max_recurrence = 0;
    v = judge(t, its, summarize(its), p).at(0);
    CHECK_FALSE(v.passed);
    CHECK(v.margin == "-1");
  }

  SUBCASE("min_availability") {
    Thresholds t;
    t.min_availability = 98.4;
    const std::vector its{iteration(1, std::nullopt, {}, 500, 500),
                          iteration(2, 10ms, {episode(0ms, 100ms)}, 492, 500)};
    auto v = judge(t, its, summarize(its), p).at(0);
    CHECK(v.passed);
    CHECK(v.measured == "99.20 %");
    CHECK(v.limit == "98.40 %");
    CHECK(v.margin == "+0.80 %");
    CHECK(v.detail == "worst: iteration 2");

    t.min_availability = 100.0;
    v = judge(t, its, summarize(its), p).at(0);
    CHECK_FALSE(v.passed);
    CHECK(v.limit == "100.00 %");
    CHECK(v.margin == "-0.80 %");
  }

  SUBCASE("min_availability: the bracket, and a limit inside it") {
    Thresholds t;
    t.min_availability = 99.0;
    RunStatistics stats;
    // 990 ms up of 1000, 20 ms of it uncertain, 5 ms of the down time too:
    // 99.00 %, between 97.00 % and 99.50 %.
    stats.availability = {Availability{"combined", 99, 100, 100, 990ms, 10ms, 0ms, 20ms, 5ms}};
    auto v = judge(t, {}, stats, p).at(0);
    CHECK(v.passed);
    CHECK(v.detail == "between 97.00 % and 99.50 % (the limit lies inside: the point figure decided)");
    t.min_availability = 95.0;
    v = judge(t, {}, stats, p).at(0);
    CHECK(v.detail == "between 97.00 % and 99.50 %");
  }
}

TEST_CASE("measurement: end to end from samples to verdicts") {
  const auto p = params(3, 500ms, 2s);
  const std::vector probes{series("api", "11ok 3fail 4ok 1fail 11ok")};  // relapse at 1800
  const auto m = measure(probes, window(1000ms, 2900ms), p);
  const auto stats = summarize({m});
  CHECK(stats.ttr.count == 2);
  CHECK(stats.ttr.mean == 200ms);  // 300ms and 100ms
  CHECK(stats.recurrence == 1);
  CHECK(stats.recurrence_rate == 1.0);
  Thresholds t;
  t.rto = 400ms;
  t.max_recurrence = 0;
  const auto v = judge(t, {m}, stats, p);
  REQUIRE(v.size() == 2);
  CHECK(v[0].passed);
  CHECK(v[0].measured == "400.000 ms");
  CHECK(v[0].margin == "+0.000 ms");
  CHECK_FALSE(v[1].passed);
}

TEST_CASE("measurement: probe latency p50/p99 before, during and after the fault") {
  // One probe every 10 ms from 0 to 990 ms; latency 1 ms before the
  // injection at 300 ms, 5 ms while the fault holds (revert at 600 ms),
  // 2 ms after; one failing sample during the fault is left out.
  ProbeSeries s;
  s.name = "p";
  s.interval = 10ms;
  for (int k = 0; k < 100; ++k) {
    const Nanos start = k * 10ms;
    const Nanos lat = start < 300ms ? 1ms : start < 600ms ? 5ms : 2ms;
    s.samples.push_back({start, start + lat, k != 40, k == 40 ? "refused" : ""});
  }
  IterationWindow w;
  w.start = 0ms;
  w.inject_start = 300ms;
  w.inject = 300ms;
  w.revert = 600ms;
  w.observed_until = 990ms;
  const MeasureParams p{RecoveredAfter{1, 0ns}, 100ms, 5s, {}};
  const IterationMetrics m = measure_iteration({s}, w, p);
  REQUIRE(m.latency.size() == 1);
  const ProbeLatency& l = m.latency[0];
  CHECK(l.probe == "p");
  CHECK(l.before.count == 30);
  CHECK(l.before.p50 == 1ms);
  CHECK(l.before.p99 == 1ms);
  CHECK(l.during.count == 29);  // 30 samples in [300, 600) minus the failing one
  CHECK(l.during.p50 == 5ms);
  CHECK(l.after.count == 40);
  CHECK(l.after.p50 == 2ms);
  CHECK(l.after.p99 == 2ms);
}

// ---------------------------------------------------------------------------
// Issue 15: every injection judged, brackets, samples that are not evidence.

namespace {

/// A probe from explicit samples {start, end, ok}.
ProbeSeries explicit_samples(const std::string& name, Nanos interval, const std::vector<Sample>& samples) {
  ProbeSeries s;
  s.name = name;
  s.interval = interval;
  s.samples = samples;
  return s;
}

}  // namespace

TEST_CASE("measurement: an action is no injection, so an outage after it within watch is a relapse") {
  // fail 1100..1300, ok 1400..1700, fail 1800 (after an action at 1750), ok 1900..
  const std::vector probes{series("api", "11ok 3fail 4ok 1fail 5ok")};
  auto w = window(1000ms, 2300ms);
  // The runner leaves timed actions out of the window (fault_timeline.cpp):
  // the iteration has one injection, and the second outage is a relapse.
  const auto m = measure(probes, w);
  CHECK(relapse_flags(m) == std::vector<bool>{false, true});
  REQUIRE(m.injections.size() == 1);
  CHECK(m.episodes[1].injection == 1);
  Thresholds t;
  t.max_recurrence = 0;
  const std::vector its{m};
  const auto v = judge(t, its, summarize(its), params());
  REQUIRE(v.size() == 1);
  CHECK_FALSE(v[0].passed);
  CHECK(v[0].measured == "1");
  // Had the action counted as an injection, the outage would have been a
  // plain episode and the run would have passed: the bug of issue 15.
  w.later_injections = {1750ms};
  const auto as_injection = measure(probes, w);
  CHECK(relapse_flags(as_injection) == std::vector<bool>{false, false});
}

TEST_CASE("measurement: two injections in one iteration, each judged") {
  // inject 1 at 1000: fail 1000..1200, ok 1300..2100 (recovered 1300);
  // inject 2 at 2150: fail 2200..2500, ok 2600.. (recovered 2600).
  const std::vector probes{series("api", "10ok 3fail 9ok 4fail 8ok")};
  auto w = window(1000ms, 3300ms);
  w.first_fault = "kill (1/2)";
  w.later_injections = {LaterInjection(2150ms, 2150ms, "kill (2/2)")};
  const auto m = measure(probes, w);
  REQUIRE(m.episodes.size() == 2);
  CHECK(relapse_flags(m) == std::vector<bool>{false, false});
  CHECK(m.episodes[0].injection == 1);
  CHECK(m.episodes[1].injection == 2);
  REQUIRE(m.injections.size() == 2);
  CHECK(m.injections[0].fault == "kill (1/2)");
  CHECK(m.injections[0].ttd == 0ns);
  CHECK(m.injections[0].recovery_time == 300ms);
  CHECK(m.injections[1].impact);
  CHECK(m.injections[1].episode == 2);
  CHECK(m.injections[1].ttd == 50ms);
  CHECK(m.injections[1].recovery_time == 450ms);
  // The iteration's own figures stay the first injection's.
  CHECK(m.recovery_time == 300ms);

  Thresholds t;
  t.rto = 400ms;
  t.ttd = 40ms;
  const std::vector its{m};
  const auto v = judge(t, its, summarize(its), params());
  REQUIRE(v.size() == 2);
  CHECK_FALSE(v[0].passed);  // the second injection took 450 ms
  CHECK(v[0].measured == "450.000 ms");
  CHECK(v[0].detail.find("iteration 1, 'kill (2/2)'") != std::string::npos);
  CHECK(v[0].detail.find("2 injections judged") != std::string::npos);
  CHECK_FALSE(v[1].passed);  // its TTD was 50 ms
  CHECK(v[1].measured == "50.000 ms");
  const auto stats = summarize(its);
  CHECK(stats.ttd.count == 2);
  CHECK(stats.recovery_time.count == 2);
  CHECK(stats.recovery_time.max == 450ms);

  SUBCASE("an injection during an open outage joins it") {
    auto during = w;
    during.later_injections = {LaterInjection(1150ms, 1150ms, "kill (2/2)")};
    const auto d = measure(probes, during);
    REQUIRE(d.injections.size() == 2);
    CHECK(d.injections[1].during_outage);
    CHECK_FALSE(d.injections[1].impact);
    CHECK_FALSE(d.injections[1].ttd);
    CHECK(d.injections[1].episode == 1);
    CHECK(d.injections[1].recovery_time == 150ms);
  }
  SUBCASE("an injection that nothing follows was absorbed") {
    auto absorbed = w;
    absorbed.later_injections = {LaterInjection(3200ms, 3200ms, "kill (2/2)")};
    const auto a = measure(probes, absorbed);
    REQUIRE(a.injections.size() == 2);
    CHECK(a.injections[1].episode == 0);
    CHECK(a.injections[1].recovered);
    CHECK(a.injections[1].recovery_time == 0ns);
  }
}

TEST_CASE("measurement: brackets, and the +/- one interval as their lower bound") {
  // fail 1100..1300, ok from 1400: every sample prompt (1 ms).
  const auto m = measure({series("api", "11ok 3fail 6ok")}, window(1000ms, 1900ms));
  REQUIRE(m.episodes.size() == 1);
  // The outage began after 1000 (the last ok start) and by 1101 (the
  // failing sample's end): widened to 1100 +/- 100.
  CHECK(m.episodes[0].start_bracket == Bracket{1000ms, 1200ms});
  CHECK(m.episodes[0].end_bracket == Bracket{1300ms, 1500ms});
  CHECK(m.ttd_bracket == Bracket{0ns, 200ms});
  CHECK(m.recovery_bracket == Bracket{300ms, 500ms});
  CHECK(m.ttr_bracket == Bracket{100ms, 500ms});
  CHECK(bracket_note(*m.recovery_time, m.recovery_bracket, m.uncertainty).empty());
}

TEST_CASE("measurement: a hanging sample that succeeds proves recovery only at its end") {
  // Failing 1000..1200; the sample of 1300 hangs (a connect through a
  // partition) and succeeds at 2100; then prompt ok samples.
  std::vector<Sample> v;
  for (int k = 0; k < 10; ++k) v.push_back({k * 100ms, k * 100ms + 1ms, true, ""});
  for (int k = 10; k < 13; ++k) v.push_back({k * 100ms, k * 100ms + 1ms, false, "refused"});
  v.push_back({1300ms, 2100ms, true, ""});
  for (int k = 21; k < 26; ++k) v.push_back({k * 100ms, k * 100ms + 1ms, true, ""});
  const auto m = measure({explicit_samples("api", 100ms, v)}, window(1000ms, 2600ms));
  REQUIRE(m.t_recover);
  CHECK(*m.t_recover == 2100ms);  // never at its start, 1300
  // Availability agrees: failing until the hung answer's end, none of it unknown.
  const auto& a = availability(m, "api");
  CHECK(a.down == 1100ms);
  CHECK(a.up == 500ms);
  CHECK(a.unknown == 0ns);
  CHECK(m.episodes[0].end_bracket == Bracket{1200ms, 2200ms});
  CHECK(m.recovery_time == 1100ms);
  CHECK(m.recovery_bracket == Bracket{200ms, 1200ms});
  CHECK(bracket_note(*m.recovery_time, m.recovery_bracket, m.uncertainty) == "between 200.000 ms and 1200.000 ms");
}

TEST_CASE("measurement: skipped ticks widen the bracket and count in availability") {
  // A failing sample at 1000 hangs until its timeout at 1500 (ticks 1100..1400
  // skipped); the next sample, at 1500, is ok.
  std::vector<Sample> v;
  for (int k = 0; k < 10; ++k) v.push_back({k * 100ms, k * 100ms + 1ms, true, ""});
  v.push_back({1000ms, 1500ms, false, "timeout after 500.000 ms"});
  for (int k = 15; k < 25; ++k) v.push_back({k * 100ms, k * 100ms + 1ms, true, ""});
  auto p = explicit_samples("api", 100ms, v);
  p.overruns = 4;
  const auto m = measure({p}, window(1000ms, 2500ms));
  REQUIRE(m.t_recover);
  CHECK(*m.t_recover == 1500ms);
  // Health came back after the hanging sample started, not one interval before 1500.
  CHECK(m.episodes[0].end_bracket == Bracket{1000ms, 1600ms});
  CHECK(bracket_note(*m.recovery_time, m.recovery_bracket, m.uncertainty) == "between 0.000 ms and 600.000 ms");
  // Availability over time: failing 1000..1500, healthy 1500..2500; the
  // samples alone would say 10 of 11 ok.
  const auto& a = availability(m, "api");
  CHECK(a.down == 500ms);
  CHECK(a.up == 1000ms);
  CHECK(a.unknown == 0ns);
  CHECK(a.percent() == doctest::Approx(100.0 * 1000 / 1500));
  CHECK(a.ok == 10);
  CHECK(a.total == 11);
  CHECK(a.ticks == 15);  // 1500 ms of 100 ms ticks, four of them skipped
  CHECK(a.tick_percent() == doctest::Approx(100.0 * 10 / 15));
}

TEST_CASE("measurement: a sample the harness decided is neither outage nor health") {
  // The sample of 1000 timed out while the harness was stalled: marked, it
  // opens no episode, and the fault counts as absorbed only undetermined.
  auto p = series("api", "20ok");
  p.samples[10].ok = false;
  p.samples[10].harness_decided = true;
  auto params_with_stall = params();
  params_with_stall.stalls = {HarnessStall{1000ms, 1080ms, ""}};
  const auto m = measure({p}, window(1000ms, 1900ms), params_with_stall);
  CHECK_FALSE(m.impact);
  CHECK(m.episodes.empty());
  CHECK(m.harness_decided == 1);
  CHECK(m.undetermined);
  const auto& a = availability(m, "api");
  CHECK(a.total == 9);
  CHECK(a.unknown == 100ms);  // the decided sample's time
  CHECK(a.down == 0ns);
  // Without the mark it would have been an outage.
  p.samples[10].harness_decided = false;
  CHECK(measure({p}, window(1000ms, 1900ms)).impact);
}

TEST_CASE("measurement: an absorption is undetermined across a blind spot, not across every stall") {
  // 100 ms samples; the fault at 1000 ms had no impact seen.
  auto params_with = [](Nanos from, Nanos to) {
    auto p = params();
    p.stalls = {HarnessStall{from, to, ""}};
    return p;
  };
  // A 60 ms stall between samples that kept their ticks: no gap longer
  // than an interval, so none could hide anything.
  const auto regular = series("api", "20ok");
  const auto m = measure({regular}, window(1000ms, 1900ms), params_with(1010ms, 1070ms));
  CHECK_FALSE(m.impact);
  CHECK(m.blind == 0ns);
  CHECK_FALSE(m.undetermined);
  // A 130 ms stall that delayed the sample of 1100 ms to 1150 ms: nothing
  // answered for 149 ms, more than an interval, but the gap could hide no
  // outage longer than 151 ms, within the counts' resolution (200 ms):
  // absorbed all the same (it was undetermined across any stall before).
  auto late = series("api", "20ok");
  late.samples[11] = {1150ms, 1151ms, true, "ok"};
  const auto l = measure({late}, window(1000ms, 1900ms), params_with(1010ms, 1140ms));
  CHECK_FALSE(l.impact);
  CHECK(l.blind == 0ns);
  CHECK_FALSE(l.undetermined);
  // A 450 ms stall that left no sample from 1100 to 1500 ms: an outage of
  // up to 601 ms could have passed unseen; the absorption is undetermined.
  const auto holed = series("api", "11ok 5skip 4ok");
  const auto h = measure({holed}, window(1000ms, 1900ms), params_with(1120ms, 1570ms));
  CHECK_FALSE(h.impact);
  CHECK(h.blind == 601ms);
  CHECK(h.undetermined);
}
