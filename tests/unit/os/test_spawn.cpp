#include <doctest/doctest.h>

#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <mutex>
#include <utility>
#include <vector>

#include "os/spawn.hpp"

using namespace faultline;

TEST_CASE("spawn: run_sync captures stdout and stderr and the exit status") {
  const auto r = run_sync({"sh", "-c", "echo out; echo err >&2; exit 3"}, std::chrono::seconds(10));
  REQUIRE(r.started());
  CHECK_FALSE(r.timed_out);
  CHECK(r.status.code == 3);
  CHECK(r.output.find("out") != std::string::npos);
  CHECK(r.output.find("err") != std::string::npos);
  CHECK(run_sync({"sh", "-c", "kill -TERM $$"}, std::chrono::seconds(10)).status.signal == SIGTERM);
}

TEST_CASE("spawn: run_sync kills the group at the timeout, capturing or not") {
  for (const auto output : {SyncOutput::capture, SyncOutput::discard}) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = run_sync({"sh", "-c", "sleep 5 & sleep 5"}, std::chrono::milliseconds(100), output);
    CHECK(r.timed_out);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  }
}

TEST_CASE("spawn: run_sync without capture returns when the command exits, not when its pipes close") {
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run_sync({"sh", "-c", "sleep 2 & exit 0"}, std::chrono::seconds(10), SyncOutput::discard);
  CHECK(r.status.success());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
}

TEST_CASE("spawn: a command that cannot start reports posix_spawn's error") {
  const auto r = run_sync({"/nonexistent/program"}, std::chrono::seconds(10));
  CHECK_FALSE(r.started());
  CHECK(r.spawn_error != 0);
  int error = 0;
  CHECK(launch_process(LaunchOptions{}, error) == -1);
  CHECK(error != 0);
}

TEST_CASE("spawn: the observer hears of every child started and reaped, synchronous ones too") {
  std::mutex m;
  std::vector<std::pair<pid_t, bool>> heard;
  set_spawn_observer([&](pid_t pid, bool alive) {
    std::lock_guard lock(m);
    heard.emplace_back(pid, alive);
  });
  const auto r = run_sync({"true"}, std::chrono::seconds(10));
  LaunchOptions opts;
  opts.argv = {"true"};
  int error = 0;
  const pid_t pid = launch_process(opts, error);
  REQUIRE(pid > 0);
  CHECK(is_registered_child(pid));
  int st = 0;
  ::waitpid(pid, &st, 0);
  child_reaped(pid);
  CHECK_FALSE(is_registered_child(pid));
  set_spawn_observer(nullptr);
  CHECK(r.status.success());
  REQUIRE(heard.size() == 4);
  CHECK(heard[0].second);
  CHECK_FALSE(heard[1].second);
  CHECK(heard[0].first == heard[1].first);
  CHECK(heard[2] == std::pair{pid, true});
  CHECK(heard[3] == std::pair{pid, false});
}
