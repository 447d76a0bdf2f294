// os/realtime: the calling thread alone is raised, and what it forks is not.
#include <doctest/doctest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <mutex>
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

TEST_CASE("realtime: raises the calling thread only, where allowed; what it starts is ordinary; it can be lowered") {
  const bool may = allowed();
  CAPTURE(may);
  if (!may) MESSAGE("the kernel refuses real-time priority here (no CAP_SYS_NICE?): only the refusal is checked");
  bool raised = false, is_rt = false, child_ordinary = false, thread_ordinary = false, lowered = false;
  std::thread([&] {
    raised = raise_thread_to_realtime();
    is_rt = thread_is_realtime();
    std::thread([&] { thread_ordinary = !thread_is_realtime(); }).join();
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(::sched_getscheduler(0) == SCHED_OTHER ? 0 : 1);
    int status = 0;
    if (pid > 0 && ::waitpid(pid, &status, 0) == pid) child_ordinary = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    lower_thread_to_ordinary();
    lowered = !thread_is_realtime();
  }).join();
  CHECK(raised == may);
  CHECK(is_rt == may);
  CHECK(child_ordinary);
  CHECK(thread_ordinary);
  CHECK(lowered);
  CHECK_FALSE(thread_is_realtime());  // the test's own thread was not touched
}

TEST_CASE("realtime: the thread's CPU clock counts only its own work") {
  const auto before = thread_cpu_time();
  std::thread([] {
    const auto t0 = thread_cpu_time();
    volatile std::uint64_t x = 0;
    while (thread_cpu_time() - t0 < std::chrono::milliseconds(50)) x = x + 1;
  }).join();
  const auto spent = thread_cpu_time() - before;
  CHECK(spent < std::chrono::milliseconds(20));  // the 50 ms were the other thread's
  volatile std::uint64_t y = 0;
  const auto t0 = thread_cpu_time();
  while (thread_cpu_time() - t0 < std::chrono::milliseconds(20)) y = y + 1;
  CHECK(thread_cpu_time() - t0 >= std::chrono::milliseconds(20));
}

TEST_CASE("realtime: PriorityInheritingMutex excludes like a mutex") {
  PriorityInheritingMutex mu;
  long count = 0;
  auto work = [&] {
    for (int i = 0; i < 100000; ++i) {
      std::lock_guard lock(mu);
      ++count;
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  CHECK(count == 200000);
}
