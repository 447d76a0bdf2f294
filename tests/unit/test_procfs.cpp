#include <doctest/doctest.h>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include "procfs.hpp"

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
