// Folding a run's samples as they arrive (docs/measurement.md, "Samples in
// memory"), so that memory grows with the number of transitions, not with
// the run's length, while every figure stays what every sample gives.
//
// What measurement reads one by one is kept; the rest is folded
// (sample_fold.hpp). A sample is folded only when all of these hold:
// - its probe has taken more than `keep_full` samples (a shorter series is
//   kept whole, as the record keeps it);
// - it and the samples on either side have the same outcome (ok, detail),
//   none of them took as long as the probe's timeout (a sample the harness
//   may have decided stays whole: whether it did depends on stalls known
//   only later) and no cut lies between their starts;
// - it and the next sample started before the frontier: the earliest among
//   every probe's latest sample start. Every sample still to come of any
//   probe starts after it, so a cut made from now on never falls among
//   samples already folded.
// Cuts are times at which folding stops and starts anew, on every probe:
// every change of outcome of any probe (at its first sample's start, and at
// its end when it hung: where the episodes place a failure and a recovery),
// and the
// times the runner gives (the iteration's start, each injection's start and
// t_inject, each revert, the end of the observation). So no fold straddles
// a moment measurement takes as a bound, and every window's counts, every
// transition and its bracket, and availability over time come out exactly
// as from every sample.
#pragma once

#include <cstddef>
#include <set>
#include <vector>

#include "record/record.hpp"

namespace faultline {

/// Folds the samples of one set of probes (one scheduler's) as they arrive.
class SampleCompactor {
 public:
  /// `timeouts`: each probe's effective timeout, in series order; a probe
  /// keeps its first `keep_full` samples whole.
  explicit SampleCompactor(std::vector<Nanos> timeouts, std::size_t keep_full = kMaxFullSamples);

  /// A time no fold may straddle (an absolute run offset the runner measures from).
  void cut(Nanos t);
  /// After the sample just appended to series[probe].samples: when its
  /// outcome differs from the one before it, cut at its start (and at its
  /// end when it took longer than the probe's interval).
  void arrived(const std::vector<ProbeSeries>& series, std::size_t probe);
  /// Folds every sample that may be folded now.
  void compact(std::vector<ProbeSeries>& series);

 private:
  bool slow(const Sample& x, std::size_t probe) const;
  /// Whether `b` (the sample after one starting at `a_start` with `a`'s outcome) continues its fold.
  bool continues(const Sample& a, Nanos a_start, const Sample& b, std::size_t probe) const;
  void compact_one(ProbeSeries& s, std::size_t probe, Nanos frontier);

  std::vector<Nanos> timeouts_;
  std::size_t keep_full_;
  std::set<Nanos> cuts_;
  std::vector<std::size_t> done_;  ///< per probe: samples before this index are decided (kept)
  std::vector<bool> folding_;      ///< per probe: it has taken more than keep_full samples
};

}  // namespace faultline
