// Child processes waited on asynchronously, plus the process table.
//
// Launching goes through launch_process (spawn.hpp: posix_spawn, new process
// group, cwd, default signal state, nothing inherited above stderr) with
// file descriptors we open ourselves (O_APPEND|O_CREAT|O_CLOEXEC for logs,
// pipes created with O_CLOEXEC for captured output). Each Child keeps its own
// pidfd (readable when the leader exits) and reaps with waitpid on its own
// pid only, so waits never steal each other's status. The launcher's registry
// of the children not yet reaped lets kill_remaining_descendants() reap
// strays without touching a tracked child.
#include "os/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fmt/format.h>
#include <set>
#include <stdexcept>
#include <system_error>
#include <unordered_map>

#include "os/clock.hpp"
#include "os/fd.hpp"
#include "os/process_signal.hpp"
#include "os/process_v2.hpp"
#include "os/procfs.hpp"

extern char** environ;

namespace faultline {

namespace bp = boost::process::v2;
using namespace asio::experimental::awaitable_operators;

namespace {

/// Reaps `pid` if it is our child, not registered by the launcher (a Child
/// or run_sync waits for those), and has exited.
/// Peeks first (WNOWAIT) so that nothing is consumed unless it is ours to take.
bool reap_if_untracked(pid_t pid) {
  if (is_registered_child(pid)) return false;
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return false;
  if (info.si_pid != pid) return false;  // still running
  if (is_registered_child(pid)) return false;
  return ::waitpid(pid, nullptr, WNOHANG) == pid;
}

/// Waits (poll on pidfds) until one of `pids` exits or `timeout` passes.
void wait_any_exit(const std::vector<pid_t>& pids, std::chrono::milliseconds timeout) {
  std::vector<pollfd> fds;
  std::vector<UniqueFd> owned;
  for (pid_t p : pids) {
    UniqueFd fd = open_pidfd(p);
    if (!fd) return;  // already gone: no need to wait
    fds.push_back(pollfd{fd.get(), POLLIN, 0});
    owned.push_back(std::move(fd));
  }
  if (fds.empty()) return;
  ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
}

/// Members of `pgid` that still run, and our untracked zombies in it reaped.
std::vector<pid_t> live_members_reaping(pid_t pgid) {
  std::vector<pid_t> live;
  const pid_t self = ::getpid();
  for (const auto& e : list_processes()) {
    if (e.pgrp != pgid) continue;
    if (e.dead()) {
      if (e.ppid == self) reap_if_untracked(e.pid);
    } else {
      live.push_back(e.pid);
    }
  }
  return live;
}

bool group_exists(pid_t pgid) { return ::kill(-pgid, 0) == 0 || errno == EPERM; }

/// Synchronously kills what is left of a group and reaps our strays in it,
/// for at most `budget` (used where no io_context may run: destructors).
/// Zombies whose parent is another process count as gone: they are dead and
/// not ours to reap.
void clear_group_sync(pid_t pgid, std::chrono::milliseconds budget) {
  const auto deadline = SteadyClock::now() + budget;
  while (group_exists(pgid)) {
    ::kill(-pgid, SIGKILL);
    auto live = live_members_reaping(pgid);
    if (live.empty() || SteadyClock::now() >= deadline) break;
    wait_any_exit(live, std::chrono::milliseconds(10));
  }
}

// ---------------------------------------------------------------- launch

/// The PATH to search: an override in `env`, else the inherited one.
std::string search_path(const SpawnOptions& opts) {
  if (auto it = opts.env.find("PATH"); it != opts.env.end()) return it->second;
  const char* p = std::getenv("PATH");
  return p ? p : "/usr/local/bin:/usr/bin:/bin";
}

std::filesystem::path resolve_executable(const SpawnOptions& opts) {
  const std::string& name = opts.argv.front();
  if (name.find('/') != std::string::npos) return name;
  if (!opts.env.count("PATH")) {
    auto found = bp::environment::find_executable(name);
    if (!found.empty()) return found;
  } else {
    const std::string path = search_path(opts);
    std::size_t begin = 0;
    while (begin <= path.size()) {
      std::size_t end = path.find(':', begin);
      if (end == std::string::npos) end = path.size();
      std::filesystem::path dir = path.substr(begin, end - begin);
      auto candidate = (dir.empty() ? std::filesystem::path(".") : dir) / name;
      std::error_code ec;
      if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0)
        return candidate;
      begin = end + 1;
    }
  }
  throw std::runtime_error(fmt::format("cannot start '{}': command not found in PATH", name));
}

/// "K=V" strings: the inherited environment with `overrides` applied.
std::vector<std::string> build_env(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto key = kv.substr(0, kv.find('='));
    if (!overrides.count(std::string(key))) out.emplace_back(kv);
  }
  for (const auto& [k, v] : overrides) out.push_back(k + "=" + v);
  return out;
}

std::string display(const SpawnOptions& opts) {
  std::string s;
  for (const auto& a : opts.argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

}  // namespace

// ---------------------------------------------------------------- Child

/// State shared between a Child and the waits in progress on it, so that a
/// wait that outlives its Child still completes safely.
struct ChildCore {
  pid_t pid;
  asio::posix::stream_descriptor pidfd;
  std::optional<ExitStatus> status;

  ChildCore(asio::any_io_executor ex, pid_t p) : pid(p), pidfd(ex) {
    UniqueFd fd = open_pidfd(p);
    if (fd) pidfd.assign(fd.release());
  }

  void reaped(int st) {
    status = from_wait_status(st);
    child_reaped(pid);
    boost::system::error_code ignored;
    pidfd.close(ignored);
  }

  /// Reaps the leader if it has exited; true once it is reaped.
  bool try_reap() {
    if (status) return true;
    int st = 0;
    pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) {
      reaped(st);
    } else if (r < 0 && errno == ECHILD) {
      // Not ours to wait for any more (someone else reaped it).
      status = ExitStatus{-1, 0};
      child_reaped(pid);
    }
    return status.has_value();
  }

  /// Blocks until the leader is reaped (it has been sent SIGKILL).
  void reap_blocking() {
    if (status) return;
    int st = 0;
    pid_t r;
    do {
      r = ::waitpid(pid, &st, 0);
    } while (r < 0 && errno == EINTR);
    if (r == pid) {
      reaped(st);
    } else {
      status = ExitStatus{-1, 0};
      child_reaped(pid);
    }
  }
};

struct Child::Impl {
  std::shared_ptr<ChildCore> core;
};

namespace {

asio::awaitable<ExitStatus> wait_core(std::shared_ptr<ChildCore> c) {
  for (;;) {
    if (c->try_reap()) co_return *c->status;
    if (!c->pidfd.is_open()) {
      // No pidfd (pidfd_open failed): fall back to a short timed poll.
      asio::steady_timer t(co_await asio::this_coro::executor);
      t.expires_after(std::chrono::milliseconds(5));
      co_await t.async_wait(asio::use_awaitable);
      continue;
    }
    boost::system::error_code ec;
    co_await c->pidfd.async_wait(asio::posix::descriptor_base::wait_read,
                                 asio::redirect_error(asio::use_awaitable, ec));
    if (c->status) co_return *c->status;  // reaped meanwhile (e.g. by ~Child)
    if (ec) throw boost::system::system_error(ec);
  }
}

/// True when the leader exited within `grace`.
asio::awaitable<bool> wait_for(std::shared_ptr<ChildCore> c, Nanos grace) {
  if (c->try_reap()) co_return true;
  if (grace <= Nanos::zero()) co_return false;
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(std::chrono::duration_cast<SteadyClock::duration>(grace));
  auto r = co_await (wait_core(c) || t.async_wait(asio::use_awaitable));
  co_return r.index() == 0;
}

/// Kills and waits out whatever is left of the group (at most 5 s); as in
/// clear_group_sync, other parents' zombies count as gone.
asio::awaitable<void> clear_group(pid_t pgid) {
  // A group has no pidfd (process_signal.hpp). The leader is reaped here,
  // but while group_exists() the number is still in use as this group's id,
  // so the kernel cannot have handed it to another process.
  asio::steady_timer t(co_await asio::this_coro::executor);
  auto pause = std::chrono::milliseconds(1);
  const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
  while (group_exists(pgid)) {
    ::kill(-pgid, SIGKILL);
    if (live_members_reaping(pgid).empty() || SteadyClock::now() >= deadline) break;
    t.expires_after(pause);
    co_await t.async_wait(asio::use_awaitable);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

asio::awaitable<ExitStatus> stop_core(std::shared_ptr<ChildCore> c, int sig, Nanos grace) {
  const pid_t pgid = c->pid;
  if (!c->try_reap()) {
    // The leader is unreaped: its number, and so the group's, is still ours.
    ::kill(-pgid, sig);
    if (sig != SIGKILL) ::kill(-pgid, SIGCONT);  // a paused group must see the signal now
    if (!co_await wait_for(c, sig == SIGKILL ? Nanos::zero() : grace)) {
      ::kill(-pgid, SIGKILL);
      co_await wait_core(c);
    }
  }
  co_await clear_group(pgid);
  co_return *c->status;
}

/// Launches `opts` with stdout/stderr on `out_fd`/`err_fd` (launch_process,
/// spawn.hpp). Throws std::runtime_error naming the command.
std::shared_ptr<ChildCore> launch(asio::any_io_executor ex, const SpawnOptions& opts, int out_fd,
                                  int err_fd) {
  if (opts.argv.empty()) throw std::runtime_error("cannot start a process: empty command");
  LaunchOptions launch;
  launch.argv = opts.argv;
  launch.exe = resolve_executable(opts);
  if (!opts.cwd.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(opts.cwd, ec))
      throw std::runtime_error(fmt::format("cannot start '{}': working directory '{}' does not exist",
                                           display(opts), opts.cwd.string()));
  }
  const auto env = build_env(opts.env);
  launch.env = &env;
  launch.cwd = opts.cwd;
  launch.out_fd = out_fd;
  launch.err_fd = err_fd;
  launch.in_fd = opts.in_fd;
  int error = 0;
  const pid_t pid = launch_process(launch, error);
  if (pid < 0)
    throw std::runtime_error(fmt::format("cannot start '{}': {}", display(opts), std::strerror(error)));
  return std::make_shared<ChildCore>(ex, pid);
}

}  // namespace

Child::Child(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<Child> Child::spawn(asio::any_io_executor ex, const SpawnOptions& opts) {
  UniqueFd log;
  if (opts.log.empty()) {
    log = UniqueFd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  } else {
    log = UniqueFd(::open(opts.log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    if (!log)
      throw std::runtime_error(fmt::format("cannot start '{}': cannot open log '{}': {}",
                                           display(opts), opts.log.string(), std::strerror(errno)));
  }
  auto impl = std::make_unique<Impl>();
  impl->core = launch(std::move(ex), opts, opts.out_fd >= 0 ? opts.out_fd : log.get(), log.get());
  return std::unique_ptr<Child>(new Child(std::move(impl)));
}

Child::~Child() {
  auto& c = *impl_->core;
  const pid_t pgid = c.pid;
  if (!c.try_reap()) {
    ::kill(-pgid, SIGKILL);
    c.reap_blocking();
  }
  clear_group_sync(pgid, std::chrono::milliseconds(2000));
  boost::system::error_code ignored;
  c.pidfd.close(ignored);
}

pid_t Child::pid() const { return impl_->core->pid; }
pid_t Child::pgid() const { return impl_->core->pid; }
bool Child::running() const { return !impl_->core->try_reap(); }

bool Child::signal(int sig) {
  auto& c = *impl_->core;
  if (c.try_reap() || is_protected_pid(c.pid)) return false;
  // Through the pidfd opened at spawn: it can only ever reach this process.
  if (c.pidfd.is_open()) return pidfd_signal(c.pidfd.native_handle(), sig);
  return ::kill(c.pid, sig) == 0;  // pidfd_open failed (kernel < 5.3); unreaped, so not recycled
}

bool Child::signal_group(int sig) {
  auto& c = *impl_->core;
  if (is_protected_pid(c.pid)) return false;
  // A group has no pidfd. While the leader is unreaped its number cannot be
  // reused; after that, kill(-pgid) reaches members only while some remain
  // (the kernel does not reuse a number still in use as a group id).
  if (c.try_reap() && processes_in_group(c.pid).empty()) return false;
  return ::kill(-c.pid, sig) == 0;
}

asio::awaitable<ExitStatus> Child::wait() { return wait_core(impl_->core); }

std::optional<ExitStatus> Child::status() const {
  impl_->core->try_reap();
  return impl_->core->status;
}

asio::awaitable<ExitStatus> Child::stop(int sig, Nanos grace) {
  return stop_core(impl_->core, sig, grace);
}

// ---------------------------------------------------------------- run_command

namespace {

/// What the parts of one run_command share.
struct CommandRun {
  CommandResult& result;
  std::size_t max_output;
  asio::readable_pipe out;
  asio::readable_pipe err;
  asio::steady_timer drain;
  bool reading_done = false;
};

asio::awaitable<void> read_all(asio::readable_pipe& pipe, std::string& into, std::size_t cap) {
  char buf[4096];
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = co_await pipe.async_read_some(asio::buffer(buf),
                                                  asio::redirect_error(asio::use_awaitable, ec));
    if (n > 0 && into.size() < cap) into.append(buf, std::min(n, cap - into.size()));
    if (ec) co_return;  // eof, or closed after the drain grace
  }
}

asio::awaitable<void> read_outputs(CommandRun& run) {
  co_await (read_all(run.out, run.result.out, run.max_output) &&
            read_all(run.err, run.result.err, run.max_output));
  run.reading_done = true;
  run.drain.cancel();
}

/// Waits for exit or the deadline, clears the group, then lets the readers
/// drain for a moment (a process outside the group may still hold the pipes).
asio::awaitable<void> supervise(CommandRun& run, std::shared_ptr<ChildCore> c, TimePoint deadline) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_at(deadline);
  auto r = co_await (wait_core(c) || t.async_wait(asio::use_awaitable));
  if (r.index() == 1) run.result.timed_out = true;
  run.result.status = co_await stop_core(c, SIGKILL, Nanos::zero());
  if (!run.reading_done) {
    run.drain.expires_after(std::chrono::milliseconds(200));
    boost::system::error_code ec;
    co_await run.drain.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!run.reading_done) {
      run.out.close(ec);
      run.err.close(ec);
    }
  }
}

}  // namespace

asio::awaitable<CommandResult> run_command(asio::any_io_executor ex, SpawnOptions opts,
                                           Nanos timeout, std::size_t max_output) {
  CommandResult result;
  int out_fds[2], err_fds[2];
  if (::pipe2(out_fds, O_CLOEXEC) != 0) {
    result.start_error = fmt::format("cannot start '{}': pipe: {}", display(opts), std::strerror(errno));
    result.status.code = 127;
    co_return result;
  }
  UniqueFd out_r(out_fds[0]), out_w(out_fds[1]);
  if (::pipe2(err_fds, O_CLOEXEC) != 0) {
    result.start_error = fmt::format("cannot start '{}': pipe: {}", display(opts), std::strerror(errno));
    result.status.code = 127;
    co_return result;
  }
  UniqueFd err_r(err_fds[0]), err_w(err_fds[1]);

  std::shared_ptr<ChildCore> core;
  try {
    core = launch(ex, opts, out_w.get(), err_w.get());
  } catch (const std::exception& e) {
    result.start_error = e.what();
    result.status.code = 127;
    co_return result;
  }
  out_w.reset();
  err_w.reset();
  // Owns the child for the whole run: if this coroutine is abandoned, the
  // Child's destructor kills and reaps the group.
  struct Owner {
    std::shared_ptr<ChildCore> c;
    ~Owner() {
      if (!c->try_reap()) {
        ::kill(-c->pid, SIGKILL);
        c->reap_blocking();
      }
      clear_group_sync(c->pid, std::chrono::milliseconds(2000));
    }
  } owner{core};

  const TimePoint deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(timeout);
  CommandRun run{result, max_output, asio::readable_pipe(ex, out_r.release()),
                 asio::readable_pipe(ex, err_r.release()), asio::steady_timer(ex)};
  co_await (supervise(run, core, deadline) && read_outputs(run));
  co_return result;
}

// ---------------------------------------------------------------- process table

void become_subreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    throw std::system_error(errno, std::generic_category(), "prctl(PR_SET_CHILD_SUBREAPER)");
}

std::vector<pid_t> processes_in_group(pid_t pgid) {
  std::vector<pid_t> out;
  for (const auto& e : list_processes())
    if (e.pgrp == pgid) out.push_back(e.pid);
  return out;
}

namespace {

/// Live descendants of `self`, and its untracked direct children that are zombies.
struct Descendants {
  std::vector<pid_t> live;
  std::vector<pid_t> zombie_children;
  std::vector<pid_t> live_untracked_children;
};

Descendants find_descendants(pid_t self) {
  const auto procs = list_processes();
  std::unordered_map<pid_t, pid_t> parent;
  for (const auto& e : procs) parent[e.pid] = e.ppid;
  auto descends = [&](pid_t pid) {
    for (int depth = 0; depth < 4096 && pid > 1; ++depth) {
      auto it = parent.find(pid);
      if (it == parent.end()) return false;
      if (it->second == self) return true;
      pid = it->second;
    }
    return false;
  };
  Descendants d;
  for (const auto& e : procs) {
    if (e.pid == self || !descends(e.pid)) continue;
    const bool direct = e.ppid == self;
    if (e.dead()) {
      if (direct && !is_registered_child(e.pid)) d.zombie_children.push_back(e.pid);
    } else {
      d.live.push_back(e.pid);
      if (direct && !is_registered_child(e.pid)) d.live_untracked_children.push_back(e.pid);
    }
  }
  return d;
}

}  // namespace

int kill_remaining_descendants() {
  const pid_t self = ::getpid();
  std::set<pid_t> killed;
  const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
  for (;;) {
    auto d = find_descendants(self);
    for (pid_t p : d.live) {
      if (::kill(p, SIGKILL) == 0) killed.insert(p);
    }
    for (pid_t p : d.zombie_children) reap_if_untracked(p);
    if ((d.live.empty() && d.zombie_children.empty()) || SteadyClock::now() >= deadline) break;
    // Killed processes turn into zombies of their parents (or of us, as a
    // subreaper); give them a moment and look again.
    wait_any_exit(d.live, std::chrono::milliseconds(20));
  }
  return static_cast<int>(killed.size());
}

}  // namespace faultline
