// The lateness histogram: percentiles never below the true value (the upper
// edge of their bucket, at most about 3 % above), capped at the exact maximum.
#include <doctest/doctest.h>

#include "run/lateness.hpp"

using namespace faultline;

TEST_CASE("lateness: empty, one value, negatives") {
  LatenessHistogram h;
  CHECK(h.percentile(0.5) == Nanos(0));
  CHECK(h.max() == Nanos(0));
  h.add(Nanos(-5));
  CHECK(h.count() == 1);
  CHECK(h.percentile(0.99) == Nanos(0));
  h.add(Nanos(12'345'678));
  CHECK(h.max() == Nanos(12'345'678));
  CHECK(h.percentile(1.0) == Nanos(12'345'678));  // capped at the exact maximum
}

TEST_CASE("lateness: p50 and p99 are at or just above the nearest-rank value") {
  LatenessHistogram h;
  // 1000 values: 1 us .. 1000 us.
  for (int i = 1; i <= 1000; ++i) h.add(Nanos(i * 1000));
  const Nanos p50 = h.percentile(0.50), p99 = h.percentile(0.99);
  CHECK(p50 >= Nanos(500'000));
  CHECK(p50 <= Nanos(500'000 * 103 / 100));
  CHECK(p99 >= Nanos(990'000));
  CHECK(p99 <= Nanos(1'000'000));  // capped by the max
  CHECK(h.max() == Nanos(1'000'000));
  // Small values are exact.
  LatenessHistogram small;
  for (int i = 0; i < 64; ++i) small.add(Nanos(i));
  CHECK(small.percentile(0.5) == Nanos(31));
}

TEST_CASE("lateness: a long tail shows in p99, not in p50; huge values fit") {
  LatenessHistogram h;
  for (int i = 0; i < 990; ++i) h.add(Nanos(20'000));
  for (int i = 0; i < 10; ++i) h.add(Nanos(5'000'000'000));
  CHECK(h.percentile(0.50) >= Nanos(20'000));
  CHECK(h.percentile(0.50) < Nanos(21'000));
  CHECK(h.percentile(0.99) < Nanos(21'000));   // rank 990: still the body
  CHECK(h.percentile(0.995) == Nanos(5'000'000'000));
  h.add(Nanos(std::numeric_limits<std::int64_t>::max()));
  CHECK(h.max() == Nanos(std::numeric_limits<std::int64_t>::max()));
}
