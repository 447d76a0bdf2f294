// os/realtime: the calling thread alone is raised, and what it forks is not.
#include <doctest/doctest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "os/realtime.hpp"

using namespace faultline;

namespace {

/// Whether the kernel lets this process give a thread real-time priority (asked of a throwaway thread).
bool allowed() {
  bool ok = false;
  std::thread([&] {
    sched_param param{};
    param.sched_priority = 1;
    ok = ::sched_setscheduler(0, SCHED_FIFO, &param) == 0;
  }).join();
  return ok;
}

}  // namespace

TEST_CASE("realtime: raises the calling thread only, where allowed; a child it forks is ordinary") {
  const bool may = allowed();
  CAPTURE(may);
  bool raised = false, is_rt = false, child_ordinary = false;
  std::thread([&] {
    raised = raise_thread_to_realtime();
    is_rt = thread_is_realtime();
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(::sched_getscheduler(0) == SCHED_OTHER ? 0 : 1);
    int status = 0;
    if (pid > 0 && ::waitpid(pid, &status, 0) == pid) child_ordinary = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }).join();
  CHECK(raised == may);
  CHECK(is_rt == may);
  CHECK(child_ordinary);
  CHECK_FALSE(thread_is_realtime());  // the test's own thread was not touched
}
