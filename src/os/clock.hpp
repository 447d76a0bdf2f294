// The run's clock: CLOCK_MONOTONIC (std::chrono::steady_clock on Linux),
// with times expressed as nanoseconds since the run's origin.
#pragma once

#include <chrono>
#include <cstdint>

#include "scenario/duration.hpp"

namespace faultline {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

/// Converts between absolute steady-clock time points and run offsets.
struct RunClock {
  TimePoint origin = SteadyClock::now();

  /// Nanoseconds since the origin.
  Nanos now() const { return std::chrono::duration_cast<Nanos>(SteadyClock::now() - origin); }
  /// The absolute time point of an offset.
  TimePoint at(Nanos offset) const { return origin + std::chrono::duration_cast<SteadyClock::duration>(offset); }
  /// The origin as CLOCK_MONOTONIC nanoseconds, for comparison with other processes.
  std::int64_t origin_ns() const {
    return std::chrono::duration_cast<Nanos>(origin.time_since_epoch()).count();
  }
};

}  // namespace faultline
