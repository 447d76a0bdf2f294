// Tests of child processes with real programs (sh, sleep): exit codes versus
// signals, process groups, logs, environment, timeouts, orphaned
// grandchildren, and that nothing is left behind (checked in /proc).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "os/clock.hpp"
#include "os/subprocess.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

template <typename T>
T run_sync(asio::io_context& io, asio::awaitable<T> aw) {
  auto fut = asio::co_spawn(io, std::move(aw), asio::use_future);
  const auto deadline = SteadyClock::now() + std::chrono::seconds(20);
  io.restart();
  while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    if (SteadyClock::now() >= deadline) FAIL("timed out waiting for a coroutine");
    io.run_one_for(std::chrono::milliseconds(50));
  }
  return fut.get();
}

/// Polls `pred` until it holds or `timeout` passes (a condition wait, not a delay).
template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  const auto deadline = SteadyClock::now() + timeout;
  while (!pred()) {
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

/// The state letter of /proc/PID/stat, or 0 when the process does not exist.
char proc_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size()) return 0;
  return text[close + 2];
}

bool proc_exists(pid_t pid) { return proc_state(pid) != 0; }

/// Our children in /proc (any state), e.g. to prove no zombie is left.
std::vector<pid_t> children_of_self() {
  std::vector<pid_t> out;
  const pid_t self = getpid();
  for (const auto& d : fs::directory_iterator("/proc")) {
    const auto name = d.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(d.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    char state;
    int ppid;
    if (rest >> state >> ppid && ppid == self) out.push_back(std::stoi(name));
  }
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

fs::path temp_dir(const std::string& tag) {
  auto dir = fs::temp_directory_path() / ("faultline-subprocess-" + tag + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

SpawnOptions sh(const std::string& line) { return SpawnOptions{{"sh", "-c", line}, {}, {}, {}}; }

}  // namespace

TEST_CASE("subprocess: exit codes are told apart from terminating signals") {
  asio::io_context io;
  auto exited = Child::spawn(io.get_executor(), sh("exit 3"));
  auto st = run_sync(io, exited->wait());
  CHECK(st.code == 3);
  CHECK(st.signal == 0);
  CHECK_FALSE(st.success());
  CHECK(st.describe() == "exit 3");

  auto killed = Child::spawn(io.get_executor(), sh("kill -TERM $$"));
  st = run_sync(io, killed->wait());
  CHECK(st.signal == SIGTERM);
  CHECK(st.describe() == "killed by SIGTERM");
  CHECK_FALSE(killed->running());
  REQUIRE(killed->status());
  CHECK(killed->status()->signal == SIGTERM);

  auto ok = Child::spawn(io.get_executor(), sh("exit 0"));
  st = run_sync(io, ok->wait());
  CHECK(st.success());
  CHECK(st.describe() == "exit 0");
}

TEST_CASE("subprocess: each child leads its own process group, and stop() empties it") {
  become_subreaper();  // orphaned members come to us, so we can reap them
  asio::io_context io;
  auto child = Child::spawn(io.get_executor(), sh("sleep 60 & sleep 60 & wait"));
  CHECK(child->pgid() == child->pid());
  CHECK(getpgid(child->pid()) == child->pid());
  CHECK(getpgid(child->pid()) != getpgrp());
  REQUIRE(wait_until([&] { return processes_in_group(child->pgid()).size() == 3; }));
  auto members = processes_in_group(child->pgid());

  auto st = run_sync(io, child->stop(SIGTERM, 2s));
  CHECK(st.signal == SIGTERM);
  CHECK(processes_in_group(child->pgid()).empty());
  for (pid_t p : members) CHECK_FALSE(proc_exists(p));
}

TEST_CASE("subprocess: stop() escalates to SIGKILL after the grace period") {
  become_subreaper();  // orphaned members come to us, so we can reap them
  asio::io_context io;
  auto child = Child::spawn(io.get_executor(), sh("trap '' TERM; while :; do sleep 0.05; done"));
  // The trap is set once the shell runs its first command; wait for a sleep in the group.
  REQUIRE(wait_until([&] { return processes_in_group(child->pgid()).size() >= 2; }));
  const auto begin = SteadyClock::now();
  auto st = run_sync(io, child->stop(SIGTERM, 100ms));
  const auto took = SteadyClock::now() - begin;
  CHECK(st.signal == SIGKILL);
  CHECK(took >= 100ms);
  CHECK(took < 3s);
  CHECK(processes_in_group(child->pgid()).empty());
}

TEST_CASE("subprocess: stop() resumes a paused group so that it sees the stop signal") {
  asio::io_context io;
  auto child = Child::spawn(io.get_executor(), SpawnOptions{{"sleep", "60"}, {}, {}, {}});
  REQUIRE(child->signal_group(SIGSTOP));
  REQUIRE(wait_until([&] { return proc_state(child->pid()) == 'T'; }));
  auto st = run_sync(io, child->stop(SIGTERM, 5s));
  CHECK(st.signal == SIGTERM);
}

TEST_CASE("subprocess: destroying a running Child kills its group and leaves no zombie") {
  become_subreaper();  // orphaned members come to us, so we can reap them
  asio::io_context io;
  pid_t leader = 0;
  std::vector<pid_t> members;
  {
    auto child = Child::spawn(io.get_executor(), sh("sleep 60 & sleep 60"));
    leader = child->pid();
    REQUIRE(wait_until([&] { return processes_in_group(leader).size() == 3; }));
    members = processes_in_group(leader);
  }
  CHECK_FALSE(proc_exists(leader));
  CHECK(processes_in_group(leader).empty());
  // The background sleep was a child of the shell; it must not survive either.
  for (pid_t p : members) CHECK(wait_until([&] { return !proc_exists(p); }));
}

TEST_CASE("subprocess: a grandchild that escapes its group is killed and reaped as an orphan") {
  become_subreaper();
  asio::io_context io;
  const auto dir = temp_dir("orphan");
  const auto pidfile = dir / "grandchild.pid";
  // setsid puts the grandchild in a new session and group, outside the child's.
  auto child = Child::spawn(io.get_executor(),
                            sh("setsid sleep 60 >/dev/null 2>&1 & echo $! > '" + pidfile.string() + "'"));
  CHECK(run_sync(io, child->wait()).success());
  pid_t grandchild = std::stoi(slurp(pidfile));
  // Its parent is gone: as a subreaper we inherited it.
  REQUIRE(wait_until([&] {
    auto kids = children_of_self();
    return std::find(kids.begin(), kids.end(), grandchild) != kids.end();
  }));
  // It left the group as soon as it ran setsid.
  CHECK(wait_until([&] { return processes_in_group(child->pgid()).empty(); }));

  CHECK(kill_remaining_descendants() >= 1);
  CHECK_FALSE(proc_exists(grandchild));  // killed and reaped: not even a zombie
  fs::remove_all(dir);
}

TEST_CASE("subprocess: a background member left in the group is cleared by stop()") {
  become_subreaper();
  asio::io_context io;
  const auto dir = temp_dir("leftover");
  const auto pidfile = dir / "bg.pid";
  auto child = Child::spawn(io.get_executor(), sh("sleep 60 & echo $! > '" + pidfile.string() + "'"));
  CHECK(run_sync(io, child->wait()).success());
  pid_t bg = std::stoi(slurp(pidfile));
  CHECK(processes_in_group(child->pgid()) == std::vector<pid_t>{bg});
  run_sync(io, child->stop(SIGTERM, 1s));
  CHECK(processes_in_group(child->pgid()).empty());
  CHECK_FALSE(proc_exists(bg));
  fs::remove_all(dir);
}

TEST_CASE("subprocess: kill_remaining_descendants never steals a tracked child's status") {
  asio::io_context io;
  auto child = Child::spawn(io.get_executor(), sh("exit 7"));
  // Let it become a zombie that nobody has reaped yet.
  REQUIRE(wait_until([&] { return proc_state(child->pid()) == 'Z'; }));
  kill_remaining_descendants();
  CHECK(proc_state(child->pid()) == 'Z');
  auto st = run_sync(io, child->wait());
  CHECK(st.code == 7);
}

TEST_CASE("subprocess: kill_remaining_descendants kills tracked children too, and they report it") {
  asio::io_context io;
  auto child = Child::spawn(io.get_executor(), SpawnOptions{{"sleep", "60"}, {}, {}, {}});
  CHECK(kill_remaining_descendants() == 1);
  auto st = run_sync(io, child->wait());
  CHECK(st.signal == SIGKILL);
  CHECK(children_of_self().empty());
}

TEST_CASE("subprocess: output goes to the log, appended, with environment overrides and cwd") {
  asio::io_context io;
  const auto dir = temp_dir("log");
  const auto log = dir / "svc.log";
  {
    std::ofstream(log) << "earlier line\n";
  }
  SpawnOptions opts = sh("echo \"out $FAULTLINE_TEST_VAR\"; echo err >&2; pwd; echo \"home=$HOME\"");
  opts.env = {{"FAULTLINE_TEST_VAR", "value 1"}};
  opts.cwd = dir;
  opts.log = log;
  auto child = Child::spawn(io.get_executor(), opts);
  CHECK(run_sync(io, child->wait()).success());
  auto second = Child::spawn(io.get_executor(), SpawnOptions{{"echo", "second"}, {}, {}, log});
  CHECK(run_sync(io, second->wait()).success());

  const auto text = slurp(log);
  CHECK(text.rfind("earlier line\n", 0) == 0);
  CHECK(text.find("out value 1\n") != std::string::npos);
  CHECK(text.find("err\n") != std::string::npos);
  CHECK(text.find(fs::canonical(dir).string() + "\n") != std::string::npos);
  if (const char* home = std::getenv("HOME"))
    CHECK(text.find(std::string("home=") + home) != std::string::npos);  // inherited
  CHECK(text.find("second\n") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("subprocess: spawn failures throw and name the command") {
  asio::io_context io;
  CHECK_THROWS_WITH_AS(Child::spawn(io.get_executor(), SpawnOptions{{"faultline-no-such-command"}, {}, {}, {}}),
                       doctest::Contains("faultline-no-such-command"), std::runtime_error);
  CHECK_THROWS_WITH_AS(Child::spawn(io.get_executor(), SpawnOptions{{"/nonexistent/prog"}, {}, {}, {}}),
                       doctest::Contains("/nonexistent/prog"), std::runtime_error);
  CHECK_THROWS_WITH_AS(Child::spawn(io.get_executor(), SpawnOptions{{"true"}, {}, "/nonexistent-dir", {}}),
                       doctest::Contains("/nonexistent-dir"), std::runtime_error);
  CHECK_THROWS_WITH_AS(Child::spawn(io.get_executor(), SpawnOptions{{"/etc/hostname"}, {}, {}, {}}),
                       doctest::Contains("/etc/hostname"), std::runtime_error);
  CHECK(children_of_self().empty());  // a failed exec leaves no zombie
}

TEST_CASE("subprocess: run_command captures stdout and stderr and the exit status") {
  asio::io_context io;
  auto r = run_sync(io, run_command(io.get_executor(), sh("echo out; echo err >&2; exit 2"), 5s));
  CHECK(r.start_error.empty());
  CHECK_FALSE(r.timed_out);
  CHECK(r.status.code == 2);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
}

TEST_CASE("subprocess: a child starts clean: no blocked or ignored signal, no extra descriptor, its cwd") {
  // The harness blocks and ignores signals of its own and holds sockets,
  // pipes and pidfds; none of that may reach a service or a probe.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  REQUIRE(pthread_sigmask(SIG_BLOCK, &block, &old) == 0);
  auto* old_pipe = std::signal(SIGPIPE, SIG_IGN);
  const int leaked = ::open("/dev/null", O_RDONLY);  // not O_CLOEXEC on purpose
  REQUIRE(leaked > 2);
  asio::io_context io;
  SpawnOptions opts = sh("grep -E '^Sig(Blk|Ign):' /proc/self/status; ls /proc/self/fd; pwd");
  opts.cwd = "/tmp";
  auto r = run_sync(io, run_command(io.get_executor(), opts, 5s));
  ::close(leaked);
  std::signal(SIGPIPE, old_pipe);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  REQUIRE(r.status.success());
  CHECK(r.out.find("SigBlk:\t0000000000000000\n") != std::string::npos);
  // Signals 1 to 31 (bits 0 to 30). glibc's posix_spawn leaves its own
  // internal real-time signals 32 and 33 ignored; no program can use them.
  const auto ign = r.out.find("SigIgn:\t");
  REQUIRE(ign != std::string::npos);
  CHECK((std::stoull(r.out.substr(ign + 8, 16), nullptr, 16) & 0x7fffffffULL) == 0);
  // ls itself opens one directory descriptor (3) to list /proc/self/fd.
  CHECK(r.out.find("\n0\n1\n2\n3\n/tmp\n") != std::string::npos);
  CHECK(r.out.find("\n4\n") == std::string::npos);
}

TEST_CASE("subprocess: run_command kills the group at the timeout") {
  become_subreaper();  // orphaned members come to us, so we can reap them
  asio::io_context io;
  const auto begin = SteadyClock::now();
  auto r = run_sync(io, run_command(io.get_executor(), sh("echo started; sleep 60 & sleep 60"), 100ms));
  const auto took = SteadyClock::now() - begin;
  CHECK(r.timed_out);
  CHECK(r.status.signal == SIGKILL);
  CHECK(r.out == "started\n");
  CHECK(took >= 100ms);
  CHECK(took < 2s);
  CHECK(children_of_self().empty());
}

TEST_CASE("subprocess: run_command keeps at most max_output bytes and never blocks the writer") {
  asio::io_context io;
  auto r = run_sync(io, run_command(io.get_executor(), sh("head -c 300000 /dev/zero; echo done >&2"), 5s, 1000));
  CHECK(r.status.success());
  CHECK(r.out.size() == 1000);
  CHECK(r.err == "done\n");
}

TEST_CASE("subprocess: run_command returns when the command exits even if a background job holds the pipes") {
  become_subreaper();  // orphaned members come to us, so we can reap them
  asio::io_context io;
  const auto begin = SteadyClock::now();
  auto r = run_sync(io, run_command(io.get_executor(), sh("sleep 60 & echo hi"), 10s));
  CHECK(SteadyClock::now() - begin < 2s);
  CHECK_FALSE(r.timed_out);
  CHECK(r.status.success());
  CHECK(r.out == "hi\n");
  CHECK(children_of_self().empty());
}

TEST_CASE("subprocess: run_command reports a command that cannot start without throwing") {
  asio::io_context io;
  auto r = run_sync(io, run_command(io.get_executor(), SpawnOptions{{"faultline-no-such-command"}, {}, {}, {}}, 1s));
  CHECK_FALSE(r.start_error.empty());
  CHECK(r.start_error.find("faultline-no-such-command") != std::string::npos);
  CHECK_FALSE(r.status.success());
}

TEST_CASE("subprocess: PATH overrides are used to find argv[0]") {
  asio::io_context io;
  const auto dir = temp_dir("path");
  const auto script = dir / "faultline-test-tool";
  {
    std::ofstream(script) << "#!/bin/sh\necho tool ran\n";
  }
  fs::permissions(script, fs::perms::owner_all);
  SpawnOptions opts{{"faultline-test-tool"}, {{"PATH", dir.string() + ":/usr/bin:/bin"}}, {}, {}};
  auto r = run_sync(io, run_command(io.get_executor(), opts, 5s));
  CHECK(r.start_error.empty());
  CHECK(r.out == "tool ran\n");
  fs::remove_all(dir);
}
