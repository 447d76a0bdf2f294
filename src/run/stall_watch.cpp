// The harness's own stall detector (stall_watch.hpp). The thread waits on a
// condition variable until the next absolute deadline (steady_clock, which
// glibc waits on with CLOCK_MONOTONIC), so stop() wakes it at once; each
// wake-up compares the clock with the deadline it was due at.
#include "run/stall_watch.hpp"

#include <algorithm>
#include <utility>

namespace faultline {

StallWatch::StallWatch(const RunClock& clock, Nanos period)
    : clock_(clock), period_(std::max<Nanos>(period, Nanos(1'000'000))) {}

StallWatch::~StallWatch() { stop(); }

void StallWatch::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void StallWatch::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<HarnessStall> StallWatch::take() {
  std::lock_guard lock(mu_);
  return std::exchange(stalls_, {});
}

std::vector<HarnessStall> StallWatch::peek() {
  std::lock_guard lock(mu_);
  return stalls_;
}

void StallWatch::loop() {
  std::unique_lock lock(mu_);
  Nanos last = clock_.now();
  Nanos due = last + period_;
  while (!stopping_) {
    cv_.wait_until(lock, clock_.at(due), [this] { return stopping_; });
    const Nanos now = clock_.now();
    if (now - due > period_) add_stall(stalls_, HarnessStall{last, now, ""}, period_);
    last = now;
    // The next deadline on the grid after now: a late wake-up does not fire
    // a burst of catch-up wake-ups.
    due += period_ * ((now - due) / period_ + 1);
  }
}

}  // namespace faultline
