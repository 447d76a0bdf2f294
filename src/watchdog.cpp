#include "watchdog.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cleanup.hpp"
#include "ledger.hpp"

namespace faultline {

namespace {

/// The watchdog's life: wait for the harness to go, then clean up after it.
[[noreturn]] void watch(int fd, const std::filesystem::path& ledger_path, const std::filesystem::path& log_path) {
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
  // Nothing is ever written: read returns 0 (EOF) once the harness is gone.
  char buf;
  ssize_t n;
  do {
    n = ::read(fd, &buf, 1);
  } while (n > 0 || (n < 0 && errno == EINTR));
  try {
    std::ifstream in(ledger_path);
    std::stringstream ss;
    ss << in.rdbuf();
    Ledger l = ledger_from_json(ss.str());
    if (l.finished) ::_exit(0);
    fmt::print("watchdog: the harness of run {} died; reverting from its ledger\n", l.run_id);
    CleanupReport r = cleanup_run(l);
    for (const auto& d : r.done) fmt::print("watchdog: {}\n", d);
    for (const auto& f : r.failed) fmt::print("watchdog: LEFT BEHIND: {}\n", f);
    std::fflush(stdout);
    ::_exit(r.ok() ? 0 : 1);
  } catch (const std::exception& e) {
    fmt::print("watchdog: {}\n", e.what());
    std::fflush(stdout);
    ::_exit(1);
  }
}

}  // namespace

Watchdog Watchdog::start(const std::filesystem::path& ledger_path, const std::filesystem::path& log_path) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("watchdog pipe: ") + std::strerror(errno));
  // Report the grandchild's pid through a second pipe.
  int pidpipe[2];
  if (::pipe2(pidpipe, O_CLOEXEC) != 0) throw std::runtime_error(std::string("watchdog pipe: ") + std::strerror(errno));
  const pid_t first = ::fork();
  if (first < 0) throw std::runtime_error(std::string("watchdog fork: ") + std::strerror(errno));
  if (first == 0) {
    // Intermediate child: a new session, then fork the watchdog and exit so
    // that it is adopted outside the harness's tree.
    ::setsid();
    const pid_t wd = ::fork();
    if (wd == 0) {
      ::close(fds[1]);
      ::close(pidpipe[0]);
      ::close(pidpipe[1]);
      watch(fds[0], ledger_path, log_path);
    }
    ssize_t n = ::write(pidpipe[1], &wd, sizeof wd);
    ::_exit(n == sizeof wd ? 0 : 1);
  }
  ::close(fds[0]);
  ::close(pidpipe[1]);
  int status = 0;
  ::waitpid(first, &status, 0);
  pid_t wd = 0;
  const ssize_t n = ::read(pidpipe[0], &wd, sizeof wd);
  ::close(pidpipe[0]);
  if (n != sizeof wd || wd <= 0) {
    ::close(fds[1]);
    throw std::runtime_error("the watchdog did not start");
  }
  return Watchdog(wd, fds[1]);
}

Watchdog::Watchdog(Watchdog&& other) noexcept : pid_(other.pid_), fd_(other.fd_) { other.fd_ = -1; }

Watchdog::~Watchdog() { release(); }

void Watchdog::release() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace faultline
