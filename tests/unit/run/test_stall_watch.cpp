// The stall watch: a process stopped with SIGSTOP (here a child that runs a
// watch and is stopped from outside) leaves one stall covering the stop;
// a quiet run leaves none; stop() returns at once; add_stall merges what
// belongs together.
#include <doctest/doctest.h>

#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "run/stall_watch.hpp"

using namespace faultline;
using namespace std::chrono_literals;

TEST_CASE("stall_watch: add_stall merges overlapping or close stalls of one source only") {
  std::vector<HarnessStall> v;
  add_stall(v, {Nanos(100), Nanos(200), ""}, Nanos(10));
  add_stall(v, {Nanos(205), Nanos(300), ""}, Nanos(10));       // 5 ns later: merged
  add_stall(v, {Nanos(250), Nanos(260), "http"}, Nanos(10));   // another source: kept apart
  add_stall(v, {Nanos(400), Nanos(500), ""}, Nanos(10));       // 100 ns later: a new one
  REQUIRE(v.size() == 3);
  CHECK(v[0] == HarnessStall{Nanos(100), Nanos(300), "", 2, Nanos(195), Nanos(100)});
  CHECK(v[1] == HarnessStall{Nanos(250), Nanos(260), "http"});
  CHECK(v[2] == HarnessStall{Nanos(400), Nanos(500), ""});
}

TEST_CASE("stall_watch: a quiet run has no stall, and stop() is immediate") {
  RunClock clock;
  StallWatch w(clock, 50ms);
  w.start();
  std::this_thread::sleep_for(120ms);
  const auto t0 = SteadyClock::now();
  w.stop();
  CHECK(SteadyClock::now() - t0 < 40ms);  // not a whole period
  w.stop();  // twice is fine
  CHECK(w.take().empty());
}

TEST_CASE("stall_watch: a process stopped for 600 ms reports one stall covering it") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child: watch for 1.2 s, then write the stalls (start, end) to the pipe.
    ::close(fds[0]);
    RunClock clock;
    StallWatch w(clock, 10ms);
    w.start();
    std::this_thread::sleep_for(1200ms);
    w.stop();
    const auto stalls = w.take();
    HarnessStall longest;
    for (const auto& s : stalls)
      if (s.end - s.start > longest.end - longest.start) longest = s;
    const std::int64_t out[3] = {static_cast<std::int64_t>(stalls.size()),
                                 longest.start.count() + clock.origin_ns(), longest.end.count() + clock.origin_ns()};
    (void)!::write(fds[1], out, sizeof out);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::this_thread::sleep_for(200ms);
  const std::int64_t stopped_at = RunClock{}.origin_ns();
  REQUIRE(::kill(child, SIGSTOP) == 0);
  std::this_thread::sleep_for(600ms);
  const std::int64_t resumed_at = RunClock{}.origin_ns();
  REQUIRE(::kill(child, SIGCONT) == 0);
  std::int64_t in[3] = {0, 0, 0};
  REQUIRE(::read(fds[0], in, sizeof in) == static_cast<ssize_t>(sizeof in));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(in[0] >= 1);
  // The longest stall covers the stop (a loaded machine may add short ones of its own).
  // (SIGSTOP reaches a child running on another CPU a moment after kill()
  // returns: its last wake-up may come just after stopped_at.)
  CHECK(in[1] <= stopped_at + 50'000'000);
  CHECK(in[2] >= resumed_at);
  CHECK(in[2] - in[1] >= 550'000'000);
  CHECK(in[2] - in[1] < 1'500'000'000);
}
