#include <doctest/doctest.h>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include "os/procfs.hpp"

using namespace faultline;

TEST_CASE("procfs: reads the state of live, stopped and missing processes") {
  CHECK(process_state(::getpid()) == 'R');
  pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  REQUIRE(child > 0);
  // waitpid with WUNTRACED returns once the kernel has stopped the child.
  ::kill(child, SIGSTOP);
  int status = 0;
  REQUIRE(::waitpid(child, &status, WUNTRACED) == child);
  REQUIRE(WIFSTOPPED(status));
  CHECK(process_state(child) == 'T');
  ::kill(child, SIGKILL);
  ::waitpid(child, &status, 0);
  CHECK_FALSE(process_state(child).has_value());
}

TEST_CASE("procfs: a process's start time identifies it; a reaped pid is no longer the same process") {
  auto self = process_start_time(::getpid());
  REQUIRE(self);
  CHECK(same_process(::getpid(), *self));
  CHECK_FALSE(same_process(::getpid(), *self + 1));
  pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  auto start = process_start_time(child);
  REQUIRE(start);
  CHECK(same_process(child, *start));
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK_FALSE(same_process(child, *start));
  CHECK_FALSE(process_start_time(child));
}

TEST_CASE("procfs: a command line is read with spaces for NULs; a zombie's is empty; a gone process has none (no throw)") {
  pid_t child = ::fork();
  if (child == 0) {
    ::execlp("sleep", "sleep", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  REQUIRE(child > 0);
  std::optional<std::string> cmd;
  for (int i = 0; i < 500 && (!cmd || *cmd != "sleep 30"); ++i) {
    cmd = read_proc_cmdline(child);
    ::usleep(1000);
  }
  CHECK(cmd == std::optional<std::string>("sleep 30"));
  ::kill(child, SIGKILL);
  siginfo_t info{};
  REQUIRE(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT) == 0);  // a zombie, not reaped
  CHECK(read_proc_cmdline(child) == std::optional<std::string>(""));
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK_FALSE(read_proc_cmdline(child).has_value());
}
