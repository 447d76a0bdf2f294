// Unit tests of reading folded samples: skipped ticks, the fold index, and
// runs of equal outcome built across kept and folded samples.
#include <doctest/doctest.h>

#include "record/record.hpp"

using namespace faultline;

TEST_CASE("sample fold: ticks skipped between two starts") {
  CHECK(skipped_between(0ms, 1ms, 1ms) == 0);
  CHECK(skipped_between(0ms, 3ms, 1ms) == 2);
  CHECK(skipped_between(0ms, 1400us, 1ms) == 0);
  CHECK(skipped_between(0ms, 2600us, 1ms) == 2);
  CHECK(skipped_between(0ms, 5ms, 0ms) == 0);
}

TEST_CASE("sample fold: runs of equal outcome across kept and folded samples") {
  ProbeSeries p;
  p.interval = 1ms;
  p.samples = {{0ms, 100us, true, "ok"}, {5ms, 5200us, true, "ok"}, {6ms, 6300us, false, "refused"}};
  SampleFold f;
  f.after = 0;
  f.count = 4;
  f.first_start = 1ms;
  f.first_end = 1100us;
  f.last_start = 4ms;
  f.last_end = 4400us;
  f.latency_min = 100us;
  f.latency_max = 400us;
  for (auto v : {100us, 200us, 300us, 400us}) f.latency.add(v);
  p.folds.push_back(f);
  CHECK(first_fold_from(p.folds, 0) == 0);
  CHECK(first_fold_from(p.folds, 1) == 1);
  CHECK(folded_count(p) == 4);
  CHECK(sample_count(p) == 7);
  CHECK_FALSE(keeps_every_sample(p));
  const auto runs = runs_of(p);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].count == 6);
  CHECK(runs[0].first == SampleTimes{0ms, 100us});
  CHECK(runs[0].last == SampleTimes{5ms, 5200us});
  CHECK(runs[0].latency_min == 100us);
  CHECK(runs[0].latency_max == 400us);
  // Latencies 100, 100, 200, 200, 300, 400 us: the 3rd smallest, within 1 %.
  CHECK(runs[0].latency_p50 >= 198us);
  CHECK(runs[0].latency_p50 <= 202us);
  CHECK(runs[1].count == 1);
  CHECK_FALSE(runs[1].ok);
}
