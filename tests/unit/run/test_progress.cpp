// Plain progress: a timestamped line per event on stdout (nothing with
// --quiet), warnings on stderr whatever the mode; phases, faults and samples
// make no line of their own.
#include <doctest/doctest.h>

#include <cstdio>

#include "run/progress.hpp"

using namespace faultline;
using namespace std::chrono_literals;

TEST_CASE("plain progress: a timestamped line per event, warnings to stderr, events silenced by quiet") {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  REQUIRE(out);
  REQUIRE(err);
  PlainProgress loud(false, false, out, err);
  PlainProgress quiet(true, false, out, err);
  loud.phase(0ms, 1, "steady-state gate", 30s, "gives up");  // no line of its own
  loud.event(1234567ms, "inject kill-redis");
  quiet.event(2s, "not shown");
  quiet.warning(3s, "shown anyway");
  CHECK(loud.refresh_interval() == Nanos{0});
  auto read_all = [](std::FILE* f) {
    std::fflush(f);
    std::rewind(f);
    std::string s;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
    return s;
  };
  CHECK(read_all(out) == "[ 1234.567 s] inject kill-redis\n");
  CHECK(read_all(err) == "[    3.000 s] shown anyway\n");
  CHECK(progress_line(1500ms, "x", true) == "\033[2m[    1.500 s]\033[0m x");
  std::fclose(out);
  std::fclose(err);
}
