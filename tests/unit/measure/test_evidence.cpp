// Unit tests of evidence.cpp: which samples the harness decided.
#include <doctest/doctest.h>

#include "measure/evidence.hpp"

using namespace faultline;

TEST_CASE("evidence: an ok answer after the timeout was decided by the harness") {
  // The SIGSTOP case of issue 15: a 100 ms probe ran from 1.00 s to 6.05 s
  // and was recorded ok.
  const Sample stopped{1000ms, 6050ms, true, ""};
  CHECK(harness_decided(stopped, 50ms, 100ms, {}, "api"));
  const Sample prompt{1000ms, 1090ms, true, ""};
  CHECK_FALSE(harness_decided(prompt, 50ms, 100ms, {}, "api"));
}

TEST_CASE("evidence: a timeout decided by a stall is not an outage") {
  const Sample timed_out{1000ms, 1100ms, false, "timeout after 100.000 ms"};
  const std::vector<HarnessStall> whole{{1020ms, 1090ms, ""}};
  const std::vector<HarnessStall> other{{1020ms, 1090ms, "db"}};
  const std::vector<HarnessStall> before{{800ms, 1000ms, ""}};
  CHECK(harness_decided(timed_out, 50ms, 100ms, whole, "api"));
  CHECK(harness_decided(timed_out, 50ms, 100ms, {{1020ms, 1090ms, "api"}}, "api"));
  CHECK_FALSE(harness_decided(timed_out, 50ms, 100ms, other, "api"));
  CHECK_FALSE(harness_decided(timed_out, 50ms, 100ms, before, "api"));
  CHECK_FALSE(harness_decided(timed_out, 50ms, 100ms, {}, "api"));
  // A timer that fired more than one interval late needs no recorded stall.
  const Sample late{1000ms, 1151ms, false, "timeout after 100.000 ms"};
  CHECK(harness_decided(late, 50ms, 100ms, {}, "api"));
  // A prompt failure is the system's answer, stall or not.
  const Sample refused{1000ms, 1002ms, false, "connection refused"};
  CHECK_FALSE(harness_decided(refused, 50ms, 100ms, whole, "api"));
}

TEST_CASE("evidence: mark_harness_decided marks the samples, matching probes by name") {
  ProbeSeries p;
  p.name = "api";
  p.interval = 50ms;
  p.samples = {{0ms, 1ms, true, ""}, {50ms, 6050ms, true, ""}, {6050ms, 6051ms, true, ""}};
  ProbeSeries unknown = p;
  unknown.name = "not-in-scenario";
  std::vector probes{p, unknown};
  ProbeSpec spec;
  spec.name = "api";
  spec.interval = 50ms;
  spec.timeout = 100ms;
  CHECK(mark_harness_decided(probes, {spec}, {}) == 1);
  CHECK_FALSE(probes[0].samples[0].harness_decided);
  CHECK(probes[0].samples[1].harness_decided);
  CHECK_FALSE(probes[1].samples[1].harness_decided);
  // Marking twice marks nothing more.
  CHECK(mark_harness_decided(probes, {spec}, {}) == 0);
  // A marked sample is a run of its own in the compressed form.
  const auto runs = runs_of(probes[0]);
  REQUIRE(runs.size() == 3);
  CHECK(runs[1].harness_decided);
}
