// Unit tests of SampleCompactor: what it keeps, what it folds, and that its
// memory stays flat while outcomes do not change. That measurement from the
// folded form equals measurement from every sample is tested in
// tests/unit/measure/test_folded_samples.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "record/sample_compactor.hpp"

using namespace faultline;

TEST_CASE("compactor: memory stays flat while the outcome does not change") {
  SampleCompactor compactor({5ms, 5ms}, 100);
  std::vector<ProbeSeries> series(2);
  for (std::size_t k = 0; k < 2; ++k) {
    series[k].name = "p" + std::to_string(k);
    series[k].interval = 1ms;
  }
  std::size_t most_kept = 0;
  for (int i = 0; i < 200'000; ++i) {
    for (std::size_t k = 0; k < 2; ++k) {
      const Nanos start = Nanos(i * 1'000'000LL + static_cast<std::int64_t>(k) * 1000);
      series[k].samples.push_back({start, start + Nanos(200'000 + (i % 7) * 10'000), true, "ok"});
      compactor.arrived(series, k);
    }
    if (i % 10 == 0) compactor.compact(series);
    if (i % 60'000 == 0) compactor.cut(Nanos(i * 1'000'000LL + 500'000));  // an iteration's times
    most_kept = std::max(most_kept, series[0].samples.size() + series[1].samples.size());
  }
  compactor.compact(series);
  CHECK(sample_count(series[0]) == 200'000);
  CHECK(sample_count(series[1]) == 200'000);
  // The first 100 kept whole, then a handful around each cut, and the
  // samples of the last batch not yet folded.
  CHECK(most_kept < 2 * (100 + 40));
  CHECK(series[0].folds.size() <= 5);
  for (const auto& f : series[0].folds) CHECK(f.latency.size() <= 40);
}

TEST_CASE("compactor: a probe that changes outcome keeps the samples around each change") {
  SampleCompactor compactor({5ms}, 0);
  std::vector<ProbeSeries> series(1);
  series[0].interval = 1ms;
  const char* outcomes = "ooooofffffoooooo";
  for (int i = 0; outcomes[i]; ++i) {
    const bool ok = outcomes[i] == 'o';
    series[0].samples.push_back({Nanos(i * 1'000'000LL), Nanos(i * 1'000'000LL + 100'000), ok, ok ? "ok" : "refused"});
    compactor.arrived(series, 0);
  }
  compactor.compact(series);
  std::vector<Nanos> kept;
  for (const auto& x : series[0].samples) kept.push_back(x.start / 1'000'000);
  // Each run's first and last sample, the last one still undecided.
  CHECK(kept == std::vector<Nanos>{0ns, 4ns, 5ns, 9ns, 10ns, 14ns, 15ns});
  REQUIRE(series[0].folds.size() == 3);
  CHECK(series[0].folds[0].count == 3);
  CHECK(series[0].folds[1].after == 2);
  CHECK(series[0].folds[2].count == 3);
}

TEST_CASE("compactor: nothing straddles a cut, a slow sample stays whole, nothing before every probe has a sample") {
  SampleCompactor compactor({5ms, 5ms}, 0);
  std::vector<ProbeSeries> series(2);
  for (auto& s : series) s.interval = 1ms;
  auto add = [&](std::size_t k, int ms, Nanos latency = 100us) {
    series[k].samples.push_back({Nanos(ms * 1'000'000LL), Nanos(ms * 1'000'000LL) + latency, true, "ok"});
    compactor.arrived(series, k);
  };
  for (int i = 0; i < 10; ++i) add(0, i);
  compactor.compact(series);
  CHECK(series[0].samples.size() == 10);  // probe 1 has no sample yet: no frontier
  add(1, 0);
  compactor.cut(4'500'000ns);
  add(0, 10, 6ms);  // slow: at least the timeout
  for (int i = 17; i < 30; ++i) add(0, i);
  for (int i = 1; i < 40; ++i) add(1, i);
  compactor.compact(series);
  std::vector<std::int64_t> kept;
  for (const auto& x : series[0].samples) kept.push_back(x.start.count() / 1'000'000);
  CHECK(kept == std::vector<std::int64_t>{0, 4, 5, 9, 10, 17, 28, 29});  // 28: the next one is not before the frontier
  for (const auto& f : series[0].folds) {
    const Nanos before = series[0].samples[f.after].start;
    const Nanos after = series[0].samples[f.after + 1].start;
    CHECK(before < f.first_start);
    CHECK(f.last_start < after);
    CHECK(!(before < 4'500'000ns && 4'500'000ns <= after));
  }
  CHECK(sample_count(series[0]) == 24);
}
