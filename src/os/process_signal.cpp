#include "os/process_signal.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "os/procfs.hpp"

namespace faultline {

namespace {

std::mutex g_mutex;
std::vector<pid_t> g_protected;

}  // namespace

void protect_pid(pid_t pid) {
  std::lock_guard lock(g_mutex);
  g_protected.push_back(pid);
}

bool is_protected_pid(pid_t pid) {
  if (pid <= 1 || pid == ::getpid()) return true;
  std::lock_guard lock(g_mutex);
  return std::find(g_protected.begin(), g_protected.end(), pid) != g_protected.end();
}

UniqueFd open_pidfd(pid_t pid) { return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

bool pidfd_signal(int pidfd, int sig) {
  return ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0;
}

bool signal_process(pid_t pid, unsigned long long start_time, int sig) {
  if (is_protected_pid(pid)) return false;
  // Open first, check second: see process_signal.hpp.
  const UniqueFd fd = open_pidfd(pid);
  if (!fd) return false;
  if (!same_process(pid, start_time)) return false;
  return pidfd_signal(fd.get(), sig);
}

bool signal_group(pid_t pgid, unsigned long long leader_start_time, int sig) {
  if (is_protected_pid(pgid) || ::getpgid(0) == pgid) return false;
  // No pidfd for a group: the identity check is right before kill(-pgid).
  // The leader (even a zombie: its number is not free yet) or nobody must
  // have the number; any other process with it means it was reused.
  const auto start = process_start_time(pgid);
  if (start && *start != leader_start_time) return false;
  return ::kill(-pgid, sig) == 0;
}

}  // namespace faultline
