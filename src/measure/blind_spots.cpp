// Blind spots of the steady-state probes (blind_spots.hpp). Each probe's
// samples are walked in start order from its last sample that was evidence
// before the window; every gap between two consecutive pieces of evidence
// (a kept sample, or a fold of samples) is measured: nothing answered from
// the earlier one's end to the later one's start (the gap that decides),
// and an outage could hide from the earlier one's start to the later one's
// end (the length reported). Inside a fold the gaps were not kept: the
// longest one is bounded by the fold's own span and by its skipped ticks
// (each gap of n intervals between two starts skipped n - 1 ticks, so no
// gap exceeds skipped + 1.5 intervals), and that bound stands for it.
#include "measure/blind_spots.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "record/sample_fold.hpp"
#include "scenario/duration.hpp"

namespace faultline {

namespace {

/// Whether a stall of the whole harness or of `probe` overlaps (a, b).
bool stalled_in(const std::vector<HarnessStall>& stalls, const std::string& probe, Nanos a, Nanos b) {
  return std::any_of(stalls.begin(), stalls.end(), [&](const HarnessStall& x) {
    return (x.probe.empty() || x.probe == probe) && x.start < b && x.end > a;
  });
}

/// The walk over one probe's evidence, keeping the longest blind spot.
struct Walk {
  const ProbeSeries& probe;
  Nanos from, until;
  const std::vector<HarnessStall>& stalls;
  Nanos resolution;  ///< the counts' resolution: an outage no longer than this can pass unseen on schedule
  std::optional<BlindSpot>& best;
  std::optional<Nanos> last_start, last_end;  ///< the previous piece of evidence

  /// Nothing answered over (a, b) (`inner`, bounded); an outage over at most
  /// `outer` could have hidden there. It counts when the inner gap is longer
  /// than an interval, lies in the window, a stall overlaps it, and the
  /// outage it could hide is longer than the counts' resolution.
  void gap(Nanos a, Nanos b, Nanos inner, Nanos outer_from, Nanos outer) {
    if (inner <= probe.interval || outer <= resolution || b <= from || a >= until) return;
    if (!stalled_in(stalls, probe.name, a, b)) return;
    if (!best || outer > best->length) best = BlindSpot{outer_from, outer, probe.name};
  }

  /// Evidence from `start` to `end`: the gap since the previous one is
  /// blind from that one's start (it may have seen the system at its start)
  /// to this one's end.
  void piece(Nanos start, Nanos end) {
    if (last_end) gap(*last_end, start, start - *last_end, *last_start, end - *last_start);
    last_start = start;
    last_end = end;
  }

  /// A fold: its first sample, the gaps inside it (bounded), its last sample.
  void fold(const SampleFold& f) {
    piece(f.first_start, f.first_end);
    if (f.count >= 2 && f.last_start > f.first_end) {
      const auto ticks = Nanos(static_cast<std::int64_t>(f.skipped) * probe.interval.count()) + probe.interval * 3 / 2;
      const Nanos inner = std::min(f.last_start - f.first_end, ticks);
      gap(f.first_end, f.last_start, inner, f.first_start, std::min(f.last_end - f.first_start, ticks + f.latency_max));
    }
    last_start = f.last_start;
    last_end = f.last_end;
  }

  void run() {
    const auto& samples = probe.samples;
    std::size_t i = static_cast<std::size_t>(
        std::partition_point(samples.begin(), samples.end(), [&](const Sample& x) { return x.start < from; }) -
        samples.begin());
    while (i > 0 && samples[i - 1].harness_decided) --i;  // back to the last evidence before the window
    if (i > 0) --i;
    std::size_t f = first_fold_from(probe.folds, i);
    for (; i < samples.size() && samples[i].start <= until; ++i) {
      if (!samples[i].harness_decided) piece(samples[i].start, samples[i].end);
      for (; f < probe.folds.size() && probe.folds[f].after == i; ++f)
        if (probe.folds[f].first_start <= until) fold(probe.folds[f]);
    }
  }
};

}  // namespace

std::optional<BlindSpot> longest_blind_spot(const std::vector<ProbeSeries>& probes, Nanos from, Nanos until,
                                            const std::vector<HarnessStall>& stalls) {
  std::optional<BlindSpot> best;
  if (stalls.empty()) return best;
  const Nanos resolution = count_resolution(probes);
  for (const auto& p : probes)
    if (p.steady_state && p.interval.count() > 0)
      Walk{p, from, until, stalls, resolution, best, std::nullopt, std::nullopt}.run();
  return best;
}

Nanos coarsest_steady_interval(const std::vector<ProbeSeries>& probes) {
  Nanos coarsest{0};
  for (const auto& p : probes)
    if (p.steady_state) coarsest = std::max(coarsest, p.interval);
  return coarsest;
}

Nanos count_resolution(const std::vector<ProbeSeries>& probes) {
  return resolution_for(coarsest_steady_interval(probes));
}

std::string lower_bound_note(int seen, const char* what, Nanos blind, Nanos blind_start) {
  if (blind.count() <= 0) return {};
  return fmt::format("{} {} seen; a {} blind spot (a harness stall) from {} could hide more", seen, what,
                     format_ms(blind), format_ms(blind_start));
}

}  // namespace faultline
