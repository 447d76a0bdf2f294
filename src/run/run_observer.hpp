// What the runner reports while a run goes on, and nothing about how it is
// shown: plain timestamped lines (progress.hpp), a live view redrawn in place
// on a terminal (live_view.hpp), or nothing but warnings (--quiet). Every
// call happens on the run's one thread (its io_context) and carries the run
// clock's time, so an observer needs no clock of its own.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "record/record.hpp"
#include "scenario/duration.hpp"

namespace faultline {

/// How the console follows a run (chosen by the command line).
enum class ConsoleMode {
  plain,  ///< a timestamped line per event: not a terminal, or CI set
  live,   ///< a view redrawn in place, events scrolling above it: a terminal
  quiet,  ///< --quiet: only warnings (to stderr), then the summary
};

/// Receives a run's events and state as they happen.
class RunObserver {
 public:
  virtual ~RunObserver() = default;

  /// The run begins: `rec` holds its id, seed and resolved scenario.
  virtual void begin(const RunRecord& rec) { (void)rec; }
  /// Something happened that deserves a line ("inject kill-redis: SIGKILL ...").
  virtual void event(Nanos at, std::string_view text) = 0;
  /// A problem the reader must see, even with --quiet.
  virtual void warning(Nanos at, std::string_view text) = 0;
  /// The run entered a phase of iteration `iteration` (0 before the first),
  /// e.g. "steady-state gate". `until` is a moment the phase counts down to
  /// and `until_what` says what happens then ("gives up", "deadline").
  virtual void phase(Nanos at, int iteration, std::string_view what, std::optional<Nanos> until,
                     std::string_view until_what) {
    (void)at, (void)iteration, (void)what, (void)until, (void)until_what;
  }
  /// Fault event `id` was applied; `revert_due` is when it will be reverted
  /// (none: there is nothing to revert, e.g. a kill).
  virtual void fault_applied(Nanos at, std::size_t id, std::string_view label, std::optional<Nanos> revert_due) {
    (void)at, (void)id, (void)label, (void)revert_due;
  }
  /// Fault event `id` was reverted (or its revert was attempted and failed).
  virtual void fault_reverted(Nanos at, std::size_t id) { (void)at, (void)id; }
  /// Probe `probe` (its index in the scenario) took a sample.
  virtual void sample(std::size_t probe, const Sample& s) { (void)probe, (void)s; }
  /// How often the runner should call tick() while the run goes on; zero: never.
  virtual Nanos refresh_interval() const { return Nanos{0}; }
  /// Called every refresh_interval(): time passes even when nothing happens.
  virtual void tick(Nanos now) { (void)now; }
  /// The run is over; the summary follows on the same console.
  virtual void end(Nanos at) { (void)at; }
};

}  // namespace faultline
