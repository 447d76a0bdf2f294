// sched_setscheduler(2) on the calling thread's id, the thread's CPU clock,
// and a PTHREAD_PRIO_INHERIT mutex (realtime.hpp).
#include "os/realtime.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <system_error>

namespace faultline {

namespace {

pid_t this_thread() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

}  // namespace

bool raise_thread_to_realtime() {
  sched_param param{};
  param.sched_priority = 1;
  return ::sched_setscheduler(this_thread(), SCHED_FIFO | SCHED_RESET_ON_FORK, &param) == 0;
}

void lower_thread_to_ordinary() {
  sched_param param{};
  param.sched_priority = 0;
  ::sched_setscheduler(this_thread(), SCHED_OTHER, &param);  // lowering needs no privilege
}

bool thread_is_realtime() {
  const int policy = ::sched_getscheduler(this_thread());
  return policy >= 0 && (policy & ~SCHED_RESET_ON_FORK) == SCHED_FIFO;
}

std::chrono::nanoseconds thread_cpu_time() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

PriorityInheritingMutex::PriorityInheritingMutex() {
  pthread_mutexattr_t attr;
  ::pthread_mutexattr_init(&attr);
  ::pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
  const int rc = ::pthread_mutex_init(&mutex_, &attr);
  ::pthread_mutexattr_destroy(&attr);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "pthread_mutex_init");
}

PriorityInheritingMutex::~PriorityInheritingMutex() { ::pthread_mutex_destroy(&mutex_); }

void PriorityInheritingMutex::lock() {
  const int rc = ::pthread_mutex_lock(&mutex_);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "pthread_mutex_lock");
}

void PriorityInheritingMutex::unlock() { ::pthread_mutex_unlock(&mutex_); }

}  // namespace faultline
