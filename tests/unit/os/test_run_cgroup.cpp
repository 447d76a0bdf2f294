#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "os/run_cgroup.hpp"

using namespace faultline;

TEST_CASE("run_cgroup: a child started inside cannot leave it by setsid; killing the cgroup stops it; it is removed") {
  std::string why;
  const auto cg = enter_run_cgroup("unit-" + std::to_string(::getpid()), why);
  if (cg.empty()) {
    MESSAGE("no cgroup v2 here: " << why);
    return;
  }
  const pid_t child = ::fork();
  if (child == 0) {
    ::setsid();
    ::pause();
    ::_exit(0);
  }
  REQUIRE(child > 0);
  CHECK(cgroup_processes(cg) == std::vector<pid_t>{child});
  // Out of it first, as the harness does before its watchdog may kill it.
  ::kill(child, SIGSTOP);
  CHECK_FALSE(leave_run_cgroup(cg));  // the child keeps it
  CHECK(std::filesystem::exists(cg));
  CHECK(kill_run_cgroup(cg) == 1);
  int status = 0;
  CHECK(::waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK_FALSE(std::filesystem::exists(cg));
}
