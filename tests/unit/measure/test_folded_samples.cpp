// Measurement from folded samples equals measurement from every sample
// (docs/measurement.md, "Samples in memory"). Synthetic runs of several
// probes against a system whose outages (flapping, hanging answers, late
// answers, skipped ticks, a harness stall) a seeded generator draws are fed
// twice: whole, and through a SampleCompactor in batches as the scheduler
// delivers them, with the runner's cuts made when it reads its clock. Every
// figure must agree exactly (transitions, brackets, episodes, injections,
// availability, ticks, counts, runs of equal outcome) except the latency
// percentiles, which must agree within the sketch's stated relative error.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "measure/evidence.hpp"
#include "measure/measurement.hpp"
#include "record/sample_compactor.hpp"

using namespace faultline;

namespace {

struct Outage {
  Nanos from{0}, to{0};
  bool hang = false;  ///< connections hang until the probe's timeout
};

/// A generated run: every sample in start order per probe, the iteration
/// windows the runner would have built, and the stalls.
struct Synthetic {
  std::vector<ProbeSpec> specs;
  std::vector<ProbeSeries> full;
  std::vector<IterationWindow> windows;
  std::vector<HarnessStall> stalls;
  Nanos end{0};
};

bool down_at(const std::vector<Outage>& outages, Nanos t, bool& hang) {
  for (const auto& o : outages)
    if (o.from <= t && t < o.to) {
      hang = o.hang;
      return true;
    }
  return false;
}

Synthetic generate(unsigned seed) {
  std::mt19937 rng(seed);
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return Nanos(std::uniform_int_distribution<std::int64_t>(lo, hi)(rng));
  };
  auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };
  Synthetic s;
  const Nanos intervals[] = {1ms, 1ms, 2ms, 3ms};
  for (int k = 0; k < 4; ++k) {
    ProbeSpec p;
    p.name = "p" + std::to_string(k);
    p.interval = intervals[k];
    p.timeout = 5ms;
    p.steady_state = k != 3;
    s.specs.push_back(p);
  }
  // Three iterations of 700 ms: an injection at +50 ms, a second one at
  // +150 ms, a revert at +300 ms, observed until +600 ms; outages drawn
  // around them, some flapping, some hanging.
  std::vector<Outage> outages;
  for (int it = 0; it < 3; ++it) {
    const Nanos base = 100ms + it * 700ms;
    IterationWindow w;
    w.index = it + 1;
    w.start = base;
    w.inject_start = base + 50ms;
    w.inject = w.inject_start + uniform(0, 2'000'000);
    w.first_fault = "f";
    const Nanos later = base + 150ms;
    w.later_injections.emplace_back(later, later + 1ms, "g");
    w.revert = base + 300ms;
    w.observed_until = base + 600ms;
    s.windows.push_back(w);
    Nanos t = w.inject + uniform(1'000'000, 20'000'000);
    for (int n = 0; n < 1 + static_cast<int>(rng() % 4); ++n) {
      const Nanos length = uniform(2'000'000, 60'000'000);
      outages.push_back({t, t + length, chance(0.3)});
      t += length + uniform(1'000'000, 120'000'000);
    }
  }
  s.end = 100ms + 3 * 700ms;
  s.stalls.push_back({800ms + uniform(0, 50'000'000), 0ns, ""});
  s.stalls.back().end = s.stalls.back().start + 20ms;
  s.stalls.push_back({1500ms + uniform(0, 50'000'000), 0ns, "p1"});
  s.stalls.back().end = s.stalls.back().start + 8ms;
  for (const auto& spec : s.specs) {
    ProbeSeries series;
    series.name = spec.name;
    series.interval = spec.interval;
    series.steady_state = spec.steady_state;
    Nanos tick{0};
    while (tick < s.end) {
      const Nanos start = tick + uniform(0, 200'000);
      bool hang = false;
      Sample x;
      x.start = start;
      if (down_at(outages, start, hang)) {
        x.ok = false;
        x.detail = hang ? "timeout after 5.000 ms" : "connection refused";
        x.end = start + (hang ? 5ms + uniform(0, chance(0.2) ? 4'000'000 : 100'000) : uniform(50'000, 200'000));
      } else {
        x.ok = true;
        x.detail = "HTTP 200";
        const double r = std::uniform_real_distribution<double>(0, 1)(rng);
        // Mostly prompt; some hang past the interval; a few answer after the timeout.
        x.end = start + (r < 0.9 ? uniform(100'000, 600'000) : r < 0.99 ? uniform(1'100'000, 4'000'000)
                                                                      : uniform(5'100'000, 7'000'000));
      }
      series.samples.push_back(x);
      // The next tick after the sample ended (ticks in between were skipped).
      do tick += spec.interval;
      while (tick < x.end);
    }
    s.full.push_back(std::move(series));
  }
  return s;
}

/// The run as the scheduler and the runner see it: samples delivered in
/// batches every 5 ms (each once it has ended), the runner's cuts made when
/// its clock passes them, compact() after each batch. `check(now, delivered,
/// compact)` is called after every batch with the series so far.
template <class Check>
std::vector<ProbeSeries> fold(const Synthetic& s, std::size_t keep_full, Check check) {
  std::vector<Nanos> timeouts;
  for (const auto& p : s.specs) timeouts.push_back(p.effective_timeout());
  SampleCompactor compactor(timeouts, keep_full);
  std::vector<ProbeSeries> compact, delivered;
  for (const auto& p : s.full) {
    ProbeSeries empty = p;
    empty.samples.clear();
    compact.push_back(empty);
    delivered.push_back(empty);
  }
  std::vector<Nanos> cuts;
  for (const auto& w : s.windows) {
    cuts.insert(cuts.end(), {w.start, w.inject_start, w.inject, w.later_injections[0].start,
                             w.later_injections[0].inject, *w.revert, w.observed_until + Nanos{1}});
  }
  std::sort(cuts.begin(), cuts.end());
  std::vector<std::size_t> next(s.full.size(), 0);
  std::size_t next_cut = 0;
  for (Nanos now = 5ms; now < s.end + 20ms; now += 5ms) {
    for (std::size_t k = 0; k < s.full.size(); ++k)
      for (; next[k] < s.full[k].samples.size() && s.full[k].samples[next[k]].end <= now; ++next[k]) {
        compact[k].samples.push_back(s.full[k].samples[next[k]]);
        delivered[k].samples.push_back(s.full[k].samples[next[k]]);
        compactor.arrived(compact, k);
      }
    compactor.compact(compact);
    check(now, delivered, compact);
    // The runner reads its clock after this batch: its times up to the next batch are cuts.
    for (; next_cut < cuts.size() && cuts[next_cut] < now + 5ms; ++next_cut) compactor.cut(cuts[next_cut]);
  }
  return compact;
}

MeasureParams params_for(unsigned seed, const std::vector<HarnessStall>& stalls) {
  MeasureParams p;
  p.recovered_after.samples = 2 + static_cast<int>(seed % 3);
  p.recovered_after.duration = seed % 2 ? 4ms : 0ns;
  p.watch = 100ms;
  p.give_up_after = 250ms;
  p.stalls = stalls;
  return p;
}

void same_bracket(const std::optional<Bracket>& a, const std::optional<Bracket>& b) {
  REQUIRE(a.has_value() == b.has_value());
  if (a) CHECK(*a == *b);
}

/// Within the sketch's relative error (and 1 ns of rounding) of the exact value.
void close_enough(Nanos approx, Nanos exact) {
  const double bound = kSketchRelativeError * static_cast<double>(exact.count()) + 1.0;
  CHECK(std::abs(static_cast<double>(approx.count() - exact.count())) <= bound);
}

void same_metrics(const IterationMetrics& c, const IterationMetrics& f) {
  CHECK(c.impact == f.impact);
  CHECK(c.t_fail == f.t_fail);
  CHECK(c.t_recover == f.t_recover);
  CHECK(c.recovered == f.recovered);
  CHECK(c.ttd == f.ttd);
  CHECK(c.ttr == f.ttr);
  CHECK(c.recovery_time == f.recovery_time);
  CHECK(c.recovery_after_revert == f.recovery_after_revert);
  CHECK(c.relapses == f.relapses);
  CHECK(c.harness_decided == f.harness_decided);
  CHECK(c.undetermined == f.undetermined);
  same_bracket(c.ttd_bracket, f.ttd_bracket);
  same_bracket(c.ttr_bracket, f.ttr_bracket);
  same_bracket(c.recovery_bracket, f.recovery_bracket);
  REQUIRE(c.episodes.size() == f.episodes.size());
  for (std::size_t i = 0; i < c.episodes.size(); ++i) {
    CHECK(c.episodes[i].start == f.episodes[i].start);
    CHECK(c.episodes[i].end == f.episodes[i].end);
    CHECK(c.episodes[i].relapse == f.episodes[i].relapse);
    CHECK(c.episodes[i].injection == f.episodes[i].injection);
    CHECK(c.episodes[i].failing_probes == f.episodes[i].failing_probes);
    CHECK(c.episodes[i].start_bracket == f.episodes[i].start_bracket);
    same_bracket(c.episodes[i].end_bracket, f.episodes[i].end_bracket);
    same_bracket(c.episodes[i].ttr_bracket, f.episodes[i].ttr_bracket);
  }
  REQUIRE(c.injections.size() == f.injections.size());
  for (std::size_t i = 0; i < c.injections.size(); ++i) {
    CHECK(c.injections[i].episode == f.injections[i].episode);
    CHECK(c.injections[i].ttd == f.injections[i].ttd);
    CHECK(c.injections[i].recovery_time == f.injections[i].recovery_time);
    same_bracket(c.injections[i].ttd_bracket, f.injections[i].ttd_bracket);
    same_bracket(c.injections[i].recovery_bracket, f.injections[i].recovery_bracket);
  }
  REQUIRE(c.availability.size() == f.availability.size());
  for (std::size_t i = 0; i < c.availability.size(); ++i) {
    const auto &a = c.availability[i], &b = f.availability[i];
    CHECK(a.probe == b.probe);
    CHECK(a.ok == b.ok);
    CHECK(a.total == b.total);
    CHECK(a.ticks == b.ticks);
    CHECK(a.up == b.up);
    CHECK(a.down == b.down);
    CHECK(a.unknown == b.unknown);
    CHECK(a.up_uncertain == b.up_uncertain);
    CHECK(a.down_uncertain == b.down_uncertain);
  }
  REQUIRE(c.latency.size() == f.latency.size());
  for (std::size_t i = 0; i < c.latency.size(); ++i)
    for (auto phase : {&ProbeLatency::before, &ProbeLatency::during, &ProbeLatency::after}) {
      const LatencySummary &a = c.latency[i].*phase, &b = f.latency[i].*phase;
      CHECK(a.count == b.count);
      close_enough(a.p50, b.p50);
      close_enough(a.p99, b.p99);
    }
}

std::size_t total_folds(const std::vector<ProbeSeries>& v) {
  std::size_t n = 0;
  for (const auto& p : v) n += p.folds.size();
  return n;
}

}  // namespace

TEST_CASE("folded samples: every figure equals the one from every sample, percentiles within the sketch's error") {
  std::size_t folded_runs = 0;
  for (unsigned seed = 1; seed <= 12; ++seed) {
    CAPTURE(seed);
    const Synthetic s = generate(seed);
    const MeasureParams p = params_for(seed, s.stalls);
    std::size_t live_checks = 0;
    auto compact = fold(s, 50, [&](Nanos now, const std::vector<ProbeSeries>& delivered,
                                   const std::vector<ProbeSeries>& compact) {
      // While observing, the runner asks at `now` whether it may stop.
      for (const auto& w : s.windows)
        if (w.inject <= now && now <= w.observed_until) {
          ++live_checks;
          CHECK(observation_complete(compact, w, p, now) == observation_complete(delivered, w, p, now));
        }
    });
    CHECK(live_checks > 0);
    std::vector<ProbeSeries> full = s.full;
    for (auto* v : {&full, &compact}) mark_harness_decided(*v, s.specs, s.stalls);
    REQUIRE(total_folds(compact) > 0);
    ++folded_runs;
    for (std::size_t k = 0; k < full.size(); ++k) {
      CAPTURE(k);
      CHECK(sample_count(compact[k]) == sample_count(full[k]));
      CHECK(compact[k].samples.size() < full[k].samples.size());
      const auto a = runs_of(compact[k]), b = runs_of(full[k]);
      REQUIRE(a.size() == b.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].ok == b[i].ok);
        CHECK(a[i].detail == b[i].detail);
        CHECK(a[i].harness_decided == b[i].harness_decided);
        CHECK(a[i].count == b[i].count);
        CHECK(a[i].first == b[i].first);
        CHECK(a[i].last == b[i].last);
        CHECK(a[i].latency_min == b[i].latency_min);
        CHECK(a[i].latency_max == b[i].latency_max);
        close_enough(a[i].latency_p50, b[i].latency_p50);
      }
    }
    for (const auto& w : s.windows) {
      CAPTURE(w.index);
      same_metrics(measure_iteration(compact, w, p), measure_iteration(full, w, p));
    }
  }
  CHECK(folded_runs == 12);
}
