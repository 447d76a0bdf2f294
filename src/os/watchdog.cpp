#include "os/watchdog.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fmt/format.h>
#include <map>
#include <stdexcept>

#include "os/cleaned_note.hpp"
#include "os/cleanup.hpp"
#include "os/fd.hpp"
#include "os/ledger.hpp"
#include "os/process_signal.hpp"
#include "os/procfs.hpp"
#include "os/run_cgroup.hpp"

namespace faultline {

namespace {

/// One report on the pipe: a child started (alive = 1, with its start time)
/// or was reaped (alive = 0). 16 bytes, below PIPE_BUF: written whole.
struct Report {
  std::int32_t pid = 0;
  std::int32_t alive = 0;
  std::uint64_t start_time = 0;
};

/// The watchdog's life: wait for the harness to go, then clean up after it.
[[noreturn]] void watch(int fd, const std::filesystem::path& ledger_path, const std::filesystem::path& state_path,
                        const std::filesystem::path& log_path) {
  // Signals meant for the harness are not for us.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null = ::open("/dev/null", O_RDWR);
  ::dup2(null, 0);
  ::dup2(log >= 0 ? log : null, 1);
  ::dup2(log >= 0 ? log : null, 2);
  // Close everything else the harness had open, except our end of the pipe.
  for (int i = 3; i < 1024; ++i)
    if (i != fd) ::close(i);
  // Reports of the children the harness starts and reaps, until read
  // returns 0 (EOF): the harness is gone.
  std::map<pid_t, std::uint64_t> running;
  char buf[sizeof(Report) * 64];
  std::size_t have = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf + have, sizeof buf - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += static_cast<std::size_t>(n);
    std::size_t used = 0;
    for (; have - used >= sizeof(Report); used += sizeof(Report)) {
      Report r;
      std::memcpy(&r, buf + used, sizeof r);
      if (r.alive) running[r.pid] = r.start_time;
      else running.erase(r.pid);
    }
    std::memmove(buf, buf + used, have - used);
    have -= used;
  }
  Ledger l;
  try {
    // Either copy may be behind when its disk was full (ledger.hpp).
    l = read_latest_ledger(ledger_path, state_path);
  } catch (const std::exception& e) {
    fmt::print("watchdog: {}\n", e.what());
    std::fflush(stdout);
    ::_exit(1);
  }
  if (l.finished) ::_exit(0);
  fmt::print("watchdog: the harness of run {} died; reverting from its ledger\n", l.run_id);
  // Commands in flight first, so that none acts after the revert; the
  // services are the ledger's, stopped after the revert by cleanup_run.
  for (const auto& p : l.processes) running.erase(p.pid);
  for (const auto& [pid, start] : running) {
    if (signal_group(pid, start, SIGKILL))
      fmt::print("watchdog: process group {}: SIGKILL (a command the harness had running)\n", pid);
  }
  bool ok = false, finished = false;
  try {
    CleanupReport r = cleanup_run(l);
    for (const auto& d : r.done) fmt::print("watchdog: {}\n", d);
    for (const auto& f : r.failed) fmt::print("watchdog: LEFT BEHIND: {}\n", f);
    ok = r.ok();
    finished = true;
    if (ok) write_cleaned_note(l, "the watchdog");
  } catch (const std::exception& e) {
    fmt::print("watchdog: {}\n", e.what());
  }
  // Whatever stopped the cleanup (a ledger it could not write), nothing it
  // resumed is left running: every service group of the ledger is killed.
  for (const auto& p : l.processes)
    if (!finished && signal_group(p.pid, p.start_time, SIGKILL))
      fmt::print("watchdog: service '{}': SIGKILL to process group {}\n", p.service, p.pid);
  // Last, the run's cgroup: whatever the ledger did not know of (a service
  // spawned just before the harness died, a descendant that left its group).
  if (const int n = kill_run_cgroup(l.cgroup, 30000); n > 0)
    fmt::print("watchdog: cgroup {}: SIGKILL to the {} process(es) still in it\n", l.cgroup, n);
  std::error_code ec;
  if (!l.cgroup.empty() && std::filesystem::exists(l.cgroup, ec))
    fmt::print("watchdog: LEFT BEHIND: cgroup {} (still busy after 30 s)\n", l.cgroup);
  std::fflush(stdout);
  ::_exit(ok ? 0 : 1);
}

/// Writes one report: EAGAIN drops it (never a stall); a watchdog that is
/// gone (EPIPE) neither raises SIGPIPE in the harness nor stops it, whatever
/// the process does with SIGPIPE (this thread blocks it around the write and
/// takes back the one the write raised).
void write_report(int fd, const void* report, std::size_t size) noexcept {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  sigset_t pending;
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  const ssize_t n = ::write(fd, report, size);
  if (n < 0 && errno == EPIPE && !was_pending) {
    const timespec now{};
    while (::sigtimedwait(&pipe_only, nullptr, &now) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace

Watchdog Watchdog::start(const std::filesystem::path& ledger_path, const std::filesystem::path& state_path,
                         const std::filesystem::path& log_path) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("watchdog pipe: ") + std::strerror(errno));
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  // Report the grandchild's pid through a second pipe.
  int pidpipe[2];
  if (::pipe2(pidpipe, O_CLOEXEC) != 0) throw std::runtime_error(std::string("watchdog pipe: ") + std::strerror(errno));
  UniqueFd pid_read(pidpipe[0]), pid_write(pidpipe[1]);
  const pid_t first = ::fork();
  if (first < 0) throw std::runtime_error(std::string("watchdog fork: ") + std::strerror(errno));
  if (first == 0) {
    // Intermediate child: a new session, then fork the watchdog and exit so
    // that it is adopted outside the harness's tree.
    ::setsid();
    const pid_t wd = ::fork();
    if (wd == 0) {
      write_end.reset();
      pid_read.reset();
      pid_write.reset();
      watch(read_end.get(), ledger_path, state_path, log_path);
    }
    ssize_t n = ::write(pid_write.get(), &wd, sizeof wd);
    ::_exit(n == sizeof wd ? 0 : 1);
  }
  read_end.reset();
  pid_write.reset();
  ::fcntl(write_end.get(), F_SETFL, O_NONBLOCK);  // report() must never block the harness
  int status = 0;
  ::waitpid(first, &status, 0);
  pid_t wd = 0;
  const ssize_t n = ::read(pid_read.get(), &wd, sizeof wd);
  pid_read.reset();
  if (n != sizeof wd || wd <= 0) throw std::runtime_error("the watchdog did not start");
  return Watchdog(wd, std::move(write_end));
}

Watchdog::Watchdog(Watchdog&& other) noexcept : pid_(other.pid_), fd_(std::move(other.fd_)) {}

Watchdog::~Watchdog() { release(); }

void Watchdog::report(pid_t pid, bool alive) noexcept {
  if (!fd_) return;
  Report r;
  r.pid = static_cast<std::int32_t>(pid);
  r.alive = alive ? 1 : 0;
  if (alive) {
    // Without the leader's identity the watchdog could not tell the group
    // from a later one with the same number: such a child is not reported
    // (it is gone already when /proc has no start time for it).
    try {
      const auto start = process_start_time(pid);
      if (!start) return;
      r.start_time = *start;
    } catch (...) {
      return;
    }
  }
  write_report(fd_.get(), &r, sizeof r);
}

void Watchdog::release() { fd_.reset(); }

}  // namespace faultline
