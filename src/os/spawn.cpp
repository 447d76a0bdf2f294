// The one launcher (posix_spawn) with its registry of children not yet
// reaped, and run_sync, its synchronous wait (spawn.hpp says why each is so).
#include "os/spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fmt/format.h>
#include <mutex>
#include <set>

#include "os/fd.hpp"
#include "os/process_signal.hpp"
#include "scenario/signals.hpp"

extern char** environ;

namespace faultline {

namespace {

// ---------------------------------------------------------------- registry

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::set<pid_t>& registry() {
  static std::set<pid_t> pids;
  return pids;
}
std::function<void(pid_t, bool)>& spawn_observer() {
  static std::function<void(pid_t, bool)> observer;
  return observer;
}
void track(pid_t pid) {
  std::lock_guard lock(registry_mutex());
  registry().insert(pid);
  if (spawn_observer()) spawn_observer()(pid, true);
}

/// A null-terminated array of pointers into `strings` (which must outlive it).
std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

using Clock = std::chrono::steady_clock;

/// Milliseconds left until `deadline`, at least 0.
int ms_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

/// Reads `fd` into `out` (about 64 KiB kept) until EOF, which comes once
/// every writer (the command and its children) closed it. False when
/// `deadline` passed first.
bool read_until_eof(int fd, Clock::time_point deadline, std::string& out) {
  char buf[4096];
  for (;;) {
    const int left = ms_left(deadline);
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n != 0;
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return true;
    if (out.size() < 64 * 1024) out.append(buf, static_cast<std::size_t>(got));
  }
}

/// Waits (on a pidfd) until `pid` exits; false when `deadline` passed first
/// or there is no pidfd to wait on.
bool wait_exit(pid_t pid, Clock::time_point deadline) {
  const UniqueFd pidfd = open_pidfd(pid);
  if (!pidfd) return false;
  for (;;) {
    pollfd p{pidfd.get(), POLLIN, 0};
    const int n = ::poll(&p, 1, ms_left(deadline));
    if (n < 0 && errno == EINTR) continue;
    return n != 0;
  }
}

}  // namespace

std::string ExitStatus::describe() const {
  if (signal != 0) return "killed by " + signal_name(signal);
  if (code < 0) return "exit status unknown";
  return fmt::format("exit {}", code);
}

ExitStatus from_wait_status(int st) {
  ExitStatus s;
  if (WIFEXITED(st)) {
    s.code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    s.signal = WTERMSIG(st);
  }
  return s;
}

/// posix_spawn, not fork: glibc spawns with clone(CLONE_VM | CLONE_VFORK), so
/// the cost does not grow with the harness's memory. A fork copies the page
/// tables first (2.4 ms against 1.35 ms for /bin/true from a 30 MB process,
/// 3.5 ms under ASan, whose shadow memory is mapped too), which is most of an
/// exec probe's budget at a 10 ms interval. The child gets its own process
/// group, the working directory, an empty signal mask, every signal at its
/// default action and no descriptor above stderr; glibc reports a failed exec
/// as posix_spawn's result and reaps that child itself.
pid_t launch_process(const LaunchOptions& opts, int& error) {
  if (opts.argv.empty()) {
    error = EINVAL;
    return -1;
  }
  const auto argv = c_strings(opts.argv);
  const auto envp = opts.env ? c_strings(*opts.env) : std::vector<char*>{};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (opts.in_fd >= 0) posix_spawn_file_actions_adddup2(&fa, opts.in_fd, STDIN_FILENO);
  else posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  for (const auto& [from, to] : {std::pair{opts.out_fd, STDOUT_FILENO}, std::pair{opts.err_fd, STDERR_FILENO}}) {
    if (from >= 0) posix_spawn_file_actions_adddup2(&fa, from, to);
    else posix_spawn_file_actions_addopen(&fa, to, "/dev/null", O_WRONLY, 0);
  }
  if (!opts.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, opts.cwd.c_str());
  posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  char** env = opts.env ? const_cast<char**>(envp.data()) : environ;
  const int rc = opts.exe.empty() ? ::posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), env)
                                  : ::posix_spawn(&pid, opts.exe.c_str(), &fa, &attr, argv.data(), env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    error = rc;
    return -1;
  }
  track(pid);
  return pid;
}

void child_reaped(pid_t pid) {
  std::lock_guard lock(registry_mutex());
  if (registry().erase(pid) && spawn_observer()) spawn_observer()(pid, false);
}

bool is_registered_child(pid_t pid) {
  std::lock_guard lock(registry_mutex());
  return registry().count(pid) != 0;
}

void set_spawn_observer(std::function<void(pid_t, bool)> observer) {
  std::lock_guard lock(registry_mutex());
  spawn_observer() = std::move(observer);
}

SyncOutcome run_sync(const std::vector<std::string>& argv, Nanos timeout, SyncOutput output) {
  SyncOutcome r;
  UniqueFd rd, wr;
  if (output == SyncOutput::capture) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      r.pipe_error = std::string("pipe: ") + std::strerror(errno);
      return r;
    }
    rd.reset(fds[0]);
    wr.reset(fds[1]);
  }
  LaunchOptions opts;
  opts.argv = argv;
  opts.out_fd = opts.err_fd = wr.get();
  const pid_t pid = launch_process(opts, r.spawn_error);
  wr.reset();  // only the command holds the write end now
  if (pid < 0) return r;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
  const bool done = output == SyncOutput::capture ? read_until_eof(rd.get(), deadline, r.output)
                                                  : wait_exit(pid, deadline);
  if (!done) {
    r.timed_out = true;
    ::kill(-pid, SIGKILL);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  child_reaped(pid);
  r.status = from_wait_status(st);
  return r;
}

}  // namespace faultline
