// Unit tests of availability.cpp: availability over time.
#include <doctest/doctest.h>

#include "measure/availability.hpp"

#include <algorithm>

using namespace faultline;

namespace {

/// Prompt samples every `interval` from `from`, ok except where `fail` says.
ProbeSeries probe(const std::string& name, Nanos interval, int count, const std::vector<int>& fail, bool steady = true) {
  ProbeSeries p;
  p.name = name;
  p.interval = interval;
  p.steady_state = steady;
  for (int k = 0; k < count; ++k) {
    const bool failed = std::find(fail.begin(), fail.end(), k) != fail.end();
    p.samples.push_back({k * interval, k * interval + 1ms, !failed, ""});
  }
  return p;
}

}  // namespace

TEST_CASE("availability: a transition lies at the middle between the samples that disagree") {
  // 100 ms ticks 0..19 (each answered in 1 ms); failing at 5 and 6: the
  // outage began between 401 and 500 and ended between 601 and 700, so it is
  // placed over 450.5..650.5: 200 ms of 0..2000.
  const auto av = availability_over({probe("api", 100ms, 20, {5, 6})}, 0ms, 2000ms, {});
  REQUIRE(av.size() == 2);
  CHECK(av[0].up == 1800ms);
  CHECK(av[0].down == 200ms);
  CHECK(av[0].unknown == 0ns);
  CHECK(av[0].percent() == doctest::Approx(90.0));
  CHECK(av[0].ticks == 20);
  CHECK(av[0].tick_percent() == doctest::Approx(90.0));
  CHECK(av[1].probe == "combined");
  CHECK(av[1].down == 200ms);
  // The bracket: each transition anywhere in its 99 ms gap (49.5 ms each
  // side), the first sample of each new state (1 ms: it proves its state
  // at some moment of its span), and after the last sample (1901..2000:
  // nothing says the state held).
  CHECK(av[0].up_uncertain == 49500us + 49500us + 1ms + 99ms);
  CHECK(av[0].down_uncertain == 49500us + 1ms + 49500us);
  CHECK(av[0].percent_low() == doctest::Approx(100.0 * (1800 - 199) / 2000));
  CHECK(av[0].percent_high() == doctest::Approx(100.0 * (1800 + 100) / 2000));
  CHECK(av[1].up_uncertain == 199ms);
}

TEST_CASE("availability: with no transition the bracket is the point; a stall cuts it; a decided sample opens it") {
  // The window ends with the last sample (1900..1901).
  const auto none = availability_over({probe("api", 100ms, 20, {})}, 0ms, 1901ms, {});
  CHECK(none[0].up_uncertain == 0ns);
  CHECK(none[0].down_uncertain == 0ns);
  CHECK(none[0].percent_low() == doctest::Approx(100.0));
  CHECK(none[0].percent_high() == doctest::Approx(100.0));
  // A stall over the recovery's gap (600..700): that time is unknown, not uncertain.
  const auto cut = availability_over({probe("api", 100ms, 20, {5, 6})}, 0ms, 1901ms, {{600ms, 700ms, ""}});
  CHECK(cut[0].up_uncertain == 49500us + 1ms);
  CHECK(cut[0].down_uncertain == 49500us + 1ms);
  CHECK(cut[0].unknown == 100ms);
  // Up to a sample the harness decided, the state before it is not proven
  // either (101..200), nor the decided span itself (unknown).
  auto p = probe("api", 100ms, 20, {});
  p.samples[2].harness_decided = true;
  const auto decided = availability_over({p}, 0ms, 1901ms, {});
  CHECK(decided[0].unknown == 100ms);
  CHECK(decided[0].up_uncertain == 99ms);
  CHECK(decided[0].down_uncertain == 0ns);
}

TEST_CASE("availability: combined fails while any steady-state probe fails; observers do not count") {
  const auto av = availability_over({probe("a", 100ms, 10, {2}), probe("b", 100ms, 10, {5, 6}),
                                     probe("watch", 100ms, 10, {0, 1, 2, 3}, false)},
                                    0ms, 1000ms, {});
  REQUIRE(av.size() == 4);
  CHECK(av[2].down == 350500us);  // from its first sample to the middle of 301..400
  CHECK(av[3].probe == "combined");
  CHECK(av[3].down == 300ms);
  CHECK(av[3].up == 700ms);
  // Healthy and uncertain where any probe is: the four gaps' up halves, the
  // first ok sample after each outage (a's at 300, b's at 700) and the
  // time after the last samples (901..1000). Failing and uncertain where
  // every failing probe is: all of a's outage (two gaps and its one failing
  // sample), b's two gaps and its first failing sample (500..501).
  CHECK(av[3].up_uncertain == 4 * 49500us + 2ms + 99ms);
  CHECK(av[3].down_uncertain == 100ms + 49500us + 1ms + 49500us);
  CHECK(av[3].ticks == 20);
  CHECK(av[3].ok == 17);
}

TEST_CASE("availability: stalls and samples the harness decided are unknown, shown apart") {
  auto p = probe("api", 100ms, 10, {4});
  p.samples[6].harness_decided = true;
  const std::vector<HarnessStall> stalls{{150ms, 250ms, ""}, {820ms, 850ms, "other"}};
  const auto av = availability_over({p}, 0ms, 1000ms, stalls);
  CHECK(av[0].unknown == 200ms);  // the stall (100) and the decided sample (100)
  CHECK(av[0].down == 100ms);
  CHECK(av[0].up == 700ms);
  CHECK(av[0].total == 9);
  CHECK(av[1].unknown == 200ms);
}

TEST_CASE("availability: an ok sample that hung after a failure ends the outage at its end; before the first sample is unknown") {
  ProbeSeries p;
  p.name = "api";
  p.interval = 100ms;
  p.samples = {{200ms, 201ms, false, ""}, {300ms, 800ms, true, ""}, {800ms, 801ms, true, ""}};
  const auto av = availability_over({p}, 0ms, 1000ms, {});
  CHECK(av[0].unknown == 200ms);
  CHECK(av[0].down == 600ms);  // 200..800: the held answer came when the system was back
  CHECK(av[0].up == 200ms);
  // The system may have come back anywhere from 201 to 800; after the last
  // sample (801..1000) nothing is proven.
  CHECK(av[0].down_uncertain == 599ms);
  CHECK(av[0].up_uncertain == 199ms);
  // After an ok sample it was slow, not down: healthy throughout.
  p.samples[0].ok = true;
  const auto slow = availability_over({p}, 0ms, 1000ms, {});
  CHECK(slow[0].up == 800ms);
  CHECK(slow[0].unknown == 200ms);
  CHECK(slow[0].down == 0ns);
  CHECK(slow[0].up_uncertain == 199ms);  // after the last sample only
}

TEST_CASE("availability: a failing sample that hung is down over its whole span; its skipped ticks count") {
  // 10 ms ticks; the sample of 200 hangs until its 50 ms timeout (ticks 210..250 skipped),
  // the next, at 260, is ok: down from the middle of 191..200 to the middle of 250..260.
  ProbeSeries p;
  p.name = "api";
  p.interval = 10ms;
  for (int k = 0; k < 20; ++k) p.samples.push_back({k * 10ms, k * 10ms + 1ms, true, ""});
  p.samples.push_back({200ms, 250ms, false, "timeout"});
  for (int k = 26; k < 40; ++k) p.samples.push_back({k * 10ms, k * 10ms + 1ms, true, ""});
  const auto av = availability_over({p}, 0ms, 400ms, {});
  CHECK(av[0].down == 255ms - 195500us);
  CHECK(av[0].up == 400ms - av[0].down);
  CHECK(av[0].total == 35);
  CHECK(av[0].ok == 34);
  CHECK(av[0].ticks == 40);  // 35 taken, 5 skipped while the sample hung
  CHECK(av[0].tick_percent() == doctest::Approx(100.0 * 34 / 40));
}

TEST_CASE("availability: ticks skipped before, between and after the window's samples are counted") {
  // 100 ms ticks over [0, 1000]; samples only at 200, 300 and 700 (the rest skipped).
  ProbeSeries p;
  p.name = "api";
  p.interval = 100ms;
  p.samples = {{200ms, 201ms, true, ""}, {300ms, 301ms, true, ""}, {700ms, 701ms, true, ""}};
  const auto av = availability_over({p}, 0ms, 1000ms, {});
  CHECK(av[0].ticks == 10);  // 0, 100 before; 400..600 between; 800, 900 after
  CHECK(av[0].tick_percent() == doctest::Approx(30.0));
  CHECK(av[0].unknown == 200ms);  // before the first sample
  // No sample at all: the window's length in intervals.
  p.samples.clear();
  CHECK(availability_over({p}, 0ms, 1000ms, {})[0].ticks == 10);
}

TEST_CASE("availability: the window's edges take the state the samples around them imply") {
  // Failing at ticks 3 and 4: the outage is placed over 250.5..450.5. The
  // window [350, 550] starts inside it and ends after it.
  ProbeSeries p;
  p.name = "api";
  p.interval = 100ms;
  for (int k = 0; k < 10; ++k) p.samples.push_back({k * 100ms, k * 100ms + 1ms, k < 3 || k > 4, ""});
  const auto av = availability_over({p}, 350ms, 550ms, {});
  CHECK(av[0].down == 100500us);
  CHECK(av[0].up == 99500us);
  CHECK(av[0].unknown == 0ns);
}

TEST_CASE("availability: add_availability sums by probe, combined last") {
  std::vector<Availability> into;
  Availability a{"api", 9, 10, 12, 900ms, 100ms, 5ms};
  Availability c{"combined", 9, 10, 12, 900ms, 100ms, 5ms};
  add_availability(into, {a, c});
  add_availability(into, {a, c});
  REQUIRE(into.size() == 2);
  CHECK(into[0].up == 1800ms);
  CHECK(into[0].ticks == 24);
  CHECK(into[1].probe == "combined");
  CHECK(into[1].unknown == 10ms);
}
