// How late a probe's samples started after their scheduled ticks, kept in
// constant memory whatever the run's length: a log-linear histogram (32
// buckets per power of two, so a bucket is at most about 3 % wide) and the
// exact maximum. A percentile is reported as the upper edge of its bucket
// (never below the true value: the record must never claim the harness was
// more punctual than it was), capped at the exact maximum.
#pragma once

#include <array>
#include <cstdint>

#include "scenario/duration.hpp"

namespace faultline {

/// Lateness of sample starts against their ticks, for p50/p99/max.
class LatenessHistogram {
 public:
  /// Records one sample's lateness (negative values count as 0).
  void add(Nanos lateness);
  /// Nearest-rank percentile `p` in (0, 1], rounded up to its bucket's upper
  /// edge and capped at max(); 0 when empty.
  Nanos percentile(double p) const;
  Nanos max() const { return max_; }
  std::uint64_t count() const { return count_; }

 private:
  static constexpr int kSub = 32;  ///< buckets per power of two
  static constexpr int kBuckets = 64 + 58 * kSub;
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  Nanos max_{0};
};

}  // namespace faultline
