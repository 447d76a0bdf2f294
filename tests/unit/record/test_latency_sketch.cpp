// Unit tests of the latency sketch and of nearest-rank percentiles over
// exact and sketched latencies together.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "record/latency_sketch.hpp"

using namespace faultline;

TEST_CASE("latency sketch: percentiles within the stated relative error of the exact ones") {
  std::mt19937 rng(7);
  std::lognormal_distribution<double> d(12.0, 1.5);  // about 160 us, spread over decades
  std::vector<Nanos> exact;
  LatencySketch sketch;
  LatencyTally tally;
  Nanos lo = Nanos::max(), hi{0};
  for (int i = 0; i < 20'000; ++i) {
    const Nanos v(static_cast<std::int64_t>(d(rng)));
    exact.push_back(v);
    if (i % 10 == 0) {
      tally.add(v);  // some exact, the rest sketched
    } else {
      sketch.add(v);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  tally.add(sketch, lo, hi);
  CHECK(tally.count() == 20'000);
  CHECK(sketch.count() == 18'000);
  CHECK(sketch.size() < 1'000);
  std::sort(exact.begin(), exact.end());
  for (std::size_t pct : {1, 50, 90, 99, 100}) {
    CAPTURE(pct);
    const Nanos want = exact[std::max<std::size_t>(1, (pct * exact.size() + 99) / 100) - 1];
    const Nanos got = tally.percentile(pct);
    CHECK(std::abs(static_cast<double>(got.count() - want.count())) <=
          kSketchRelativeError * static_cast<double>(want.count()) + 1.0);
  }
}

TEST_CASE("latency sketch: a bucket's value is clamped to the exact minimum and maximum") {
  LatencySketch s;
  for (int i = 0; i < 5; ++i) s.add(1000ns);
  LatencyTally t;
  t.add(s, 1000ns, 1000ns);
  CHECK(t.percentile(50) == 1000ns);
  CHECK(t.percentile(100) == 1000ns);
  LatencyTally empty;
  CHECK(empty.percentile(50) == 0ns);
  LatencySketch zero;
  zero.add(0ns);
  zero.add(-5ns);
  CHECK(zero.count() == 2);
  CHECK(zero.buckets().front().first == 0ns);
}
