// Fixed-rate probe scheduling on CLOCK_MONOTONIC. Tick k of a probe fires at
// start + k * interval whatever the previous probe took, so a slow probe never
// shifts later ticks. A tick that comes while the same probe's previous
// execution is still running is skipped and counted as an overrun (the running
// execution still yields its sample); probes of different kinds run
// concurrently on one io_context and never block one another.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "os/clock.hpp"
#include "record/record.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

namespace asio = boost::asio;

/// Runs a set of probes at their own fixed rates and records every sample.
class ProbeScheduler {
 public:
  /// Called after each sample is appended: the probe's index and the sample.
  using SampleCallback = std::function<void(std::size_t probe, const Sample&)>;

  ProbeScheduler(asio::any_io_executor ex, const RunClock& clock, std::vector<ProbeSpec> probes);
  ~ProbeScheduler();

  /// Starts every probe; tick 0 fires at `start` (a run offset).
  void start(Nanos start);
  /// No tick fires after this call.
  void stop();
  /// Completes when every execution in flight has yielded its sample (call after stop()).
  asio::awaitable<void> drain();

  void on_sample(SampleCallback cb);
  /// The samples so far, one series per probe in declaration order.
  const std::vector<ProbeSeries>& series() const;
  /// Hands the series over (moved, not copied: a long drill holds hundreds of
  /// thousands of samples) once every execution has drained; the scheduler
  /// is left with none.
  std::vector<ProbeSeries> take_series();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace faultline
