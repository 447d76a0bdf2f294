// Progress as plain lines while a run goes on: timestamped with the run
// clock, one event per line, fit for a CI log and anything that is not a
// terminal. With --quiet, only warnings (to stderr).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "run/run_observer.hpp"

namespace faultline {

/// Writes "[   12.345 s] text" lines to stdout (nothing when quiet) and
/// warnings to stderr. Phases, faults and samples are not lines of their own:
/// the events say what happened.
class PlainProgress : public RunObserver {
 public:
  /// `quiet`: events are not printed; `color`: the timestamp dimmed, warnings in yellow.
  PlainProgress(bool quiet, bool color, std::FILE* out = stdout, std::FILE* err = stderr)
      : quiet_(quiet), color_(color), out_(out), err_(err) {}

  void event(Nanos at, std::string_view text) override;
  void warning(Nanos at, std::string_view text) override;

 private:
  bool quiet_;
  bool color_;
  std::FILE* out_;
  std::FILE* err_;
};

/// "[   12.345 s] text" (with the timestamp dimmed when `color`), no newline.
std::string progress_line(Nanos at, std::string_view text, bool color);

}  // namespace faultline
