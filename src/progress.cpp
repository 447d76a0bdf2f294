#include "progress.hpp"

#include <cstdio>
#include <fmt/format.h>

namespace faultline {

void Progress::line(Nanos at, std::string_view text) const {
  if (quiet_) return;
  const double s = static_cast<double>(at.count()) / 1e9;
  if (color_)
    fmt::print("\033[2m[{:9.3f} s]\033[0m {}\n", s, text);
  else
    fmt::print("[{:9.3f} s] {}\n", s, text);
  std::fflush(stdout);
}

void Progress::warn(Nanos at, std::string_view text) const {
  const double s = static_cast<double>(at.count()) / 1e9;
  if (color_)
    fmt::print(stderr, "\033[2m[{:9.3f} s]\033[0m \033[33m{}\033[0m\n", s, text);
  else
    fmt::print(stderr, "[{:9.3f} s] {}\n", s, text);
  std::fflush(stderr);
}

}  // namespace faultline
