// A latency sketch: a histogram with fixed logarithmic buckets, each 2 %
// wider than the one before, kept sparse (only the buckets that hold a
// value), with the exact count. It stands for the latencies of the samples
// the run keeps folded (sample_fold.hpp): any percentile read from it (with
// exact values beside it, LatencyTally) is within kSketchRelativeError of the
// exact nearest-rank percentile (and 1 ns of rounding), because every value
// is replaced by its bucket's representative, which is at most that far from
// it, and an order statistic moves no further than its values do.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "scenario/duration.hpp"

namespace faultline {

/// The largest relative error of a value read from a LatencySketch: each
/// bucket is [g^i, g^(i+1)) with g = 1.02, represented by 2 g^(i+1) / (1 + g),
/// at most (g - 1) / (g + 1) < 1 % from any value in it.
inline constexpr double kSketchRelativeError = 0.01;

/// A sparse histogram of latencies over fixed logarithmic buckets.
class LatencySketch {
 public:
  /// Counts one latency (a negative one counts as 0).
  void add(Nanos latency);
  /// How many latencies were counted.
  std::uint64_t count() const { return count_; }
  /// (representative value, count) of every non-empty bucket, in increasing order.
  std::vector<std::pair<Nanos, std::uint64_t>> buckets() const;
  /// How many buckets hold a value (its size in memory is proportional).
  std::size_t size() const { return buckets_.size(); }
  bool operator==(const LatencySketch&) const = default;

 private:
  std::vector<std::pair<std::uint32_t, std::uint64_t>> buckets_;  ///< (bucket index, count), sorted
  std::uint64_t count_ = 0;
};

/// A multiset of latencies, some exact and some from sketches, read by
/// nearest rank (the ceil(p * n)-th smallest, as everywhere in faultline).
class LatencyTally {
 public:
  void add(Nanos exact);
  /// Every latency of `s`, each bucket's representative clamped to [lo, hi]
  /// (the exact minimum and maximum of the values it holds).
  void add(const LatencySketch& s, Nanos lo, Nanos hi);
  std::uint64_t count() const { return count_; }
  /// The `pct`-th percentile by nearest rank (0 when empty).
  Nanos percentile(std::size_t pct);

 private:
  std::vector<std::pair<Nanos, std::uint64_t>> values_;
  std::uint64_t count_ = 0;
  bool sorted_ = true;
};

}  // namespace faultline
