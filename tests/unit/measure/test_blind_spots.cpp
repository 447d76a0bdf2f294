// Tests of blind spots (docs/measurement.md, "Counts the harness could not
// see whole") on synthetic sample streams: a gap longer than an interval
// across a harness stall, that could hide an outage longer than the counts'
// resolution, makes the counts lower bounds, and max_recurrence
// then neither passes (inconclusive, exit 3) nor fails unless the lower
// bound alone exceeds its limit. No process, no clock.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "measure/blind_spots.hpp"
#include "measure/verdicts.hpp"
#include "record/json_read.hpp"
#include "record/json_record.hpp"
#include "record/sample_fold.hpp"

using namespace faultline;

namespace {

using Outage = std::pair<Nanos, Nanos>;

/// Samples every `interval` over [from, to) lasting 2 ms, failing inside the
/// outages, none starting inside the `holes` (the harness did not run).
ProbeSeries series(Nanos interval, Nanos from, Nanos to, const std::vector<Outage>& outages,
                   const std::vector<Outage>& holes = {}, std::string name = "http") {
  ProbeSeries p;
  p.name = std::move(name);
  p.kind = ProbeKind::http;
  p.interval = interval;
  for (Nanos t = from; t < to; t += interval) {
    bool skip = false, ok = true;
    for (const auto& h : holes) skip |= h.first <= t && t < h.second;
    for (const auto& o : outages) ok &= !(o.first <= t && t < o.second);
    if (!skip) p.samples.push_back({t, t + 2ms, ok, ok ? "" : "connection refused"});
  }
  return p;
}

HarnessStall stall(Nanos from, Nanos to, std::string probe = "") { return HarnessStall{from, to, std::move(probe)}; }

/// Three outages of 300 ms at 100 ms probes; the third lies wholly in a
/// 600 ms hole of the samples (1 s watch: two relapses happened, one seen).
RunRecord flapping(bool stalled, int max_recurrence) {
  RunRecord rec;
  rec.scenario.name = "blind";
  rec.scenario.recovered_after = RecoveredAfter{3, 0ns};
  rec.scenario.watch = 1s;
  rec.scenario.give_up_after = 5s;
  rec.scenario.thresholds.max_recurrence = max_recurrence;
  rec.probes = {series(100ms, 0ms, 6s, {{1500ms, 1800ms}, {2500ms, 2800ms}, {3450ms, 3750ms}}, {{3350ms, 3950ms}})};
  if (stalled) rec.stalls = {stall(3302ms, 3950ms)};
  return rec;
}

RunOutputs one_iteration() {
  RunOutputs out;
  IterationWindow w;
  w.index = 1;
  w.start = 0ms;
  w.inject_start = 1000ms;
  w.inject = 1000ms;
  w.observed_until = 6s;
  out.windows = {w};
  return out;
}

const Verdict& recurrence(const RunRecord& rec) {
  for (const auto& v : rec.verdicts)
    if (v.threshold == "max_recurrence") return v;
  FAIL("no max_recurrence verdict");
  throw;
}

}  // namespace

TEST_CASE("blind spots: a gap across a stall, longer than an interval, is one; its length is the gap") {
  const std::vector<ProbeSeries> probes = {series(10ms, 0ms, 1s, {}, {{400ms, 512ms}})};
  // Samples at 390 ms (ending 392 ms) and 520 ms (ending 522 ms): nothing
  // answered for 128 ms; an outage from just after 390 ms to just before
  // 522 ms would have been seen by neither.
  const auto b = longest_blind_spot(probes, 0ms, 1s, {stall(395ms, 515ms)});
  REQUIRE(b);
  CHECK(b->start == 390ms);
  CHECK(b->length == 132ms);
  CHECK(b->probe == "http");
  // The probe's own stall counts as well as the whole harness's; another probe's does not.
  CHECK(longest_blind_spot(probes, 0ms, 1s, {stall(395ms, 515ms, "http")}));
  CHECK_FALSE(longest_blind_spot(probes, 0ms, 1s, {stall(395ms, 515ms, "other")}));
}

TEST_CASE("blind spots: none without a stall, for a stall between regular samples, or outside the window") {
  const std::vector<ProbeSeries> holed = {series(10ms, 0ms, 1s, {}, {{400ms, 512ms}})};
  CHECK_FALSE(longest_blind_spot(holed, 0ms, 1s, {}));  // a gap nobody stalled in: not the harness's
  const std::vector<ProbeSeries> regular = {series(10ms, 0ms, 1s, {})};
  CHECK_FALSE(longest_blind_spot(regular, 0ms, 1s, {stall(403ms, 409ms)}));  // gaps of 8 ms < one interval
  CHECK_FALSE(longest_blind_spot(holed, 600ms, 1s, {stall(395ms, 515ms)}));  // before the window
  CHECK_FALSE(longest_blind_spot(holed, 0ms, 380ms, {stall(395ms, 515ms)}));  // after the observation
  // A probe that does not decide health is not counted.
  std::vector<ProbeSeries> observed = holed;
  observed[0].steady_state = false;
  CHECK_FALSE(longest_blind_spot(observed, 0ms, 1s, {stall(395ms, 515ms)}));
}

TEST_CASE("blind spots: a sample the harness decided is no evidence, so the gap reaches past it") {
  std::vector<ProbeSeries> probes = {series(10ms, 0ms, 1s, {}, {{400ms, 512ms}})};
  // The sample at 520 ms timed out while the harness was stalled: decided by it.
  for (auto& x : probes[0].samples)
    if (x.start == 520ms) {
      x.ok = false;
      x.end = 620ms;
      x.harness_decided = true;
    }
  const auto b = longest_blind_spot(probes, 0ms, 1s, {stall(395ms, 515ms)});
  REQUIRE(b);
  CHECK(b->start == 390ms);
  CHECK(b->length == 532ms - 390ms);  // to the end of the next evidence, at 530 ms
}

TEST_CASE("blind spots: a fold a stall overlaps counts as long as its skipped ticks allow") {
  ProbeSeries p = series(10ms, 0ms, 1s, {});
  // Keep samples 0 and 99, fold 1..98 (as the compactor would) with 11 skipped ticks.
  SampleFold f;
  f.after = 0;
  f.count = 98;
  f.first_start = p.samples[1].start;
  f.first_end = p.samples[1].end;
  f.last_start = p.samples[98].start;
  f.last_end = p.samples[98].end;
  f.skipped = 11;
  f.latency_min = f.latency_max = 2ms;
  p.samples = {p.samples[0], p.samples[99]};
  p.folds = {f};
  const auto b = longest_blind_spot({p}, 0ms, 1s, {stall(500ms, 620ms)});
  REQUIRE(b);
  CHECK(b->length == 125ms + 2ms);  // (11 + 1.5) intervals and the longest latency: the most it can be
  CHECK(b->start == 10ms);
  // Without skipped ticks the bound is 1.5 intervals and a latency (17 ms),
  // within the counts' resolution (two intervals): none; nor without a stall.
  p.folds[0].skipped = 0;
  CHECK_FALSE(longest_blind_spot({p}, 0ms, 1s, {stall(500ms, 620ms)}));
  p.folds[0].skipped = 11;
  CHECK_FALSE(longest_blind_spot({p}, 0ms, 1s, {}));
}

TEST_CASE("blind spots: a gap that could hide no outage longer than two coarsest intervals is none") {
  // A 10 ms probe beside a 50 ms one: the counts' resolution is 100 ms, the
  // longest outage the 50 ms probe can let pass on schedule.
  const std::vector<ProbeSeries> probes = {series(10ms, 0ms, 1s, {}, {{400ms, 424ms}}, "port"),
                                           series(50ms, 0ms, 1s, {}, {}, "write")};
  CHECK(count_resolution(probes) == 100ms);
  // A 24 ms stall (as a virtual machine's host gives an idle guest every
  // few tens of seconds): the 10 ms probe's gap (390 to 432 ms) could hide 42 ms.
  CHECK_FALSE(longest_blind_spot(probes, 0ms, 1s, {stall(398ms, 422ms)}));
  // Alone, the 10 ms probe resolves 20 ms: the same gap is a blind spot.
  const auto alone = longest_blind_spot({probes[0]}, 0ms, 1s, {stall(398ms, 422ms)});
  REQUIRE(alone);
  CHECK(alone->length == 42ms);
  // A 150 ms stall: the 10 ms probe could miss 162 ms, more than 100 ms.
  const std::vector<ProbeSeries> long_hole = {series(10ms, 0ms, 1s, {}, {{400ms, 550ms}}, "port"), probes[1]};
  const auto b = longest_blind_spot(long_hole, 0ms, 1s, {stall(395ms, 545ms)});
  REQUIRE(b);
  CHECK(b->probe == "port");
  CHECK(b->length == 162ms);
  // A probe that does not decide health sets no resolution.
  std::vector<ProbeSeries> observed = probes;
  observed[1].steady_state = false;
  CHECK(count_resolution(observed) == 20ms);
}

TEST_CASE("blind spots: an outage hidden in a stall makes the relapse count a lower bound; max_recurrence inconclusive") {
  RunRecord rec = flapping(true, 1);
  conclude(rec, one_iteration());
  REQUIRE(rec.iterations.size() == 1);
  const IterationMetrics& m = rec.iterations[0];
  CHECK(m.relapses == 1);  // seen: the second outage; the third hid in the stall
  CHECK(m.episodes.size() == 2);
  CHECK(m.blind == 4002ms - 3300ms);  // from the sample at 3300 ms to the end of the next one, at 4 s
  CHECK(m.blind_start == 3300ms);
  const Verdict& v = recurrence(rec);
  CHECK_FALSE(v.passed);
  CHECK(v.inconclusive);
  CHECK(v.measured == "at least 1");
  CHECK(v.detail.find("could hide more") != std::string::npos);
  CHECK(rec.outcome == Outcome::inconclusive);
  CHECK(rec.exit_code == 3);
  CHECK(rec.error.find("max_recurrence") != std::string::npos);
  CHECK(lower_bound_note(2, "episode(s)", m.blind, m.blind_start) ==
        "2 episode(s) seen; a 702.000 ms blind spot (a harness stall) from 3300.000 ms could hide more");
  // The record keeps both (reports are drawn from it).
  const RunRecord back = read_run_record(render_json(rec));
  REQUIRE(back.iterations.size() == 1);
  CHECK(back.iterations[0].blind == m.blind);
  CHECK(back.iterations[0].blind_start == m.blind_start);
  CHECK(recurrence(back).inconclusive);
  CHECK_FALSE(recurrence(back).passed);
}

TEST_CASE("blind spots: a lower bound over the limit fails; without the stall the same count passes") {
  RunRecord over = flapping(true, 0);  // 1 relapse seen > 0: a failure whatever hid
  conclude(over, one_iteration());
  CHECK_FALSE(recurrence(over).passed);
  CHECK_FALSE(recurrence(over).inconclusive);
  CHECK(over.exit_code == 1);

  RunRecord seen = flapping(false, 1);  // no stall: the gap is not the harness's, the count exact
  conclude(seen, one_iteration());
  CHECK(seen.iterations[0].blind == 0ns);
  CHECK(recurrence(seen).passed);
  CHECK(seen.exit_code == 0);
  CHECK(lower_bound_note(2, "episode(s)", 0ns, 0ns).empty());
}

TEST_CASE("blind spots: a max_recurrence verdict that saw no relapse says at what resolution") {
  RunRecord rec = flapping(false, 0);
  rec.probes = {series(100ms, 0ms, 6s, {{1500ms, 1800ms}})};  // one outage, no relapse
  conclude(rec, one_iteration());
  CHECK(recurrence(rec).passed);
  CHECK(recurrence(rec).detail == "no relapses longer than 200.000 ms (the counts' resolution)");
}
