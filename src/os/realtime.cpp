// sched_setscheduler(2) on the calling thread's id (realtime.hpp).
#include "os/realtime.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace faultline {

namespace {

pid_t this_thread() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

}  // namespace

bool raise_thread_to_realtime() {
  sched_param param{};
  param.sched_priority = 1;
  return ::sched_setscheduler(this_thread(), SCHED_FIFO | SCHED_RESET_ON_FORK, &param) == 0;
}

bool thread_is_realtime() {
  const int policy = ::sched_getscheduler(this_thread());
  return policy >= 0 && (policy & ~SCHED_RESET_ON_FORK) == SCHED_FIFO;
}

}  // namespace faultline
