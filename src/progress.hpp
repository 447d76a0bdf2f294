// Progress lines while a run goes on: plain, timestamped with the run clock,
// one event per line, fit for a terminal and a CI log alike.
#pragma once

#include <string_view>

#include "duration.hpp"

namespace faultline {

/// Writes "[   12.345 s] text" lines to stdout (nothing when quiet).
class Progress {
 public:
  Progress(bool quiet, bool color) : quiet_(quiet), color_(color) {}

  /// An ordinary event.
  void line(Nanos at, std::string_view text) const;
  /// A problem worth the reader's attention (still printed when quiet, to stderr).
  void warn(Nanos at, std::string_view text) const;

 private:
  bool quiet_;
  bool color_;
};

}  // namespace faultline
