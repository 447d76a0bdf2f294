// Samples kept folded (docs/measurement.md, "Samples in memory"). A long run
// takes 10,000 samples a second and more; keeping each one for the whole run
// made memory grow with the run's length. The run keeps instead, per probe,
// its samples in start order (ProbeSeries::samples) with folds between some
// of them: a fold stands for consecutive samples of one probe, strictly
// between two kept samples of the same outcome, that measurement never needs
// one by one: their count, the first and last one's times, the ticks skipped
// between them, and their latencies (exact minimum and maximum, a sketch for
// the rest). SampleCompactor (sample_compactor.hpp) decides what may be
// folded so that every figure computed from the folded form equals the one
// computed from every sample, the latency percentiles within the sketch's
// stated error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "record/latency_sketch.hpp"
#include "scenario/duration.hpp"

namespace faultline {

struct ProbeSeries;
struct SampleRun;

/// Consecutive samples of one probe, folded: they have the outcome (ok,
/// detail, not decided by the harness) of the kept samples on either side.
struct SampleFold {
  std::size_t after = 0;       ///< index in ProbeSeries::samples of the kept sample just before them
  std::uint64_t count = 0;     ///< samples folded, >= 1
  Nanos first_start{0}, first_end{0};  ///< the first folded sample's times
  Nanos last_start{0}, last_end{0};    ///< the last one's
  /// Ticks skipped in the gaps from samples[after] to the last folded sample
  /// (each gap of n intervals between two starts held n - 1 ticks not taken).
  std::uint64_t skipped = 0;
  Nanos latency_min{0}, latency_max{0};  ///< exact, over the folded samples
  LatencySketch latency;                 ///< every folded sample's latency
};

/// Ticks skipped between two consecutive samples starting at `a` and `b` of a
/// probe with this interval (the gap rounded to whole intervals, less one).
std::uint64_t skipped_between(Nanos a, Nanos b, Nanos interval);

/// The index in `folds` (sorted by `after`) of the first fold after a kept sample with index >= i.
std::size_t first_fold_from(const std::vector<SampleFold>& folds, std::size_t i);

/// The probe's samples (kept and folded) as maximal runs of equal outcome;
/// a run's latency p50 is read from the sketches where it holds folded samples.
std::vector<SampleRun> compress_series(const ProbeSeries& p);

/// How many samples are folded in the probe's series.
std::uint64_t folded_count(const ProbeSeries& p);

}  // namespace faultline
