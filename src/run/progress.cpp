// Plain progress lines (see progress.hpp).
#include "run/progress.hpp"

#include <cstdio>
#include <fmt/format.h>

namespace faultline {

std::string progress_line(Nanos at, std::string_view text, bool color) {
  const double s = static_cast<double>(at.count()) / 1e9;
  return color ? fmt::format("\033[2m[{:9.3f} s]\033[0m {}", s, text) : fmt::format("[{:9.3f} s] {}", s, text);
}

void PlainProgress::event(Nanos at, std::string_view text) {
  if (quiet_) return;
  fmt::print(out_, "{}\n", progress_line(at, text, color_));
  std::fflush(out_);
}

void PlainProgress::warning(Nanos at, std::string_view text) {
  const std::string line =
      color_ ? progress_line(at, fmt::format("\033[33m{}\033[0m", text), true) : progress_line(at, text, false);
  fmt::print(err_, "{}\n", line);
  std::fflush(err_);
}

}  // namespace faultline
