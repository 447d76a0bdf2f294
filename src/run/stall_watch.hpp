// Detects the harness not running: a dedicated thread that does nothing but
// wake on a fixed period (absolute deadlines on CLOCK_MONOTONIC) and look at
// the clock. When a wake-up comes more than one period late, the process did
// not run for that long (it was stopped with SIGSTOP, starved of CPU, or the
// machine was frozen) and the time from the last wake-up it saw to this one
// is recorded as a HarnessStall of the whole harness (probe ""). The probe
// scheduler detects the same for its own ticks (scheduler.hpp); this thread
// sees stalls even when no probe tick falls due. Stopping is immediate (a
// condition variable, not a sleep).
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "os/clock.hpp"
#include "record/record.hpp"
#include "record/stall_spans.hpp"  // add_stall: merged, bounded spans

namespace faultline {

/// Collects the times the whole harness did not run on schedule.
class StallWatch {
 public:
  /// `period`: how often the thread wakes, and how late a wake-up must be to be a stall.
  StallWatch(const RunClock& clock, Nanos period);
  ~StallWatch();
  StallWatch(const StallWatch&) = delete;
  StallWatch& operator=(const StallWatch&) = delete;

  /// Starts the thread (once).
  void start();
  /// Stops and joins the thread at once; safe to call twice.
  void stop();
  /// The stalls seen so far, in start order, handed over.
  std::vector<HarnessStall> take();
  /// A copy of the stalls seen so far.
  std::vector<HarnessStall> peek();

 private:
  void loop();

  RunClock clock_;
  Nanos period_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<HarnessStall> stalls_;
  std::thread thread_;
};

}  // namespace faultline
