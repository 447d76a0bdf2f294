// The remote process-table scripts, run on this machine under /bin/sh
// against real processes: the identity check before every signal (a wrong
// start time sends nothing), a pause and its resume read back from /proc,
// a whole group, a kill, and PID 1 refused.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <csignal>

#include "os/procfs.hpp"
#include "os/remote_process.hpp"
#include "os/remote_shell.hpp"
#include "os/spawn.hpp"
#include "os/subprocess.hpp"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

/// Runs `script` on this machine; its stdout without the newline, and its exit code.
std::pair<std::string, int> run(const std::string& script) {
  auto out = run_sync(LocalShell().argv(script), 10s);
  std::string text = out.output;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return {text, out.status.code};
}

/// A group of two sleeping processes (a leader and its child), led by the Child.
std::unique_ptr<Child> sleepers(asio::io_context& io) {
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c", "sleep 30 & sleep 30; wait"};
  auto c = Child::spawn(io.get_executor(), o);
  for (int i = 0; i < 500 && processes_in_group(c->pgid()).size() < 3; ++i) ::usleep(2000);
  return c;
}

bool all_in_state(pid_t pgid, char want) {
  for (pid_t p : processes_in_group(pgid)) {
    auto s = process_state(p);
    if (s && *s != want) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("a wrong start time sends nothing: the process is not the one found") {
  asio::io_context io;
  auto c = sleepers(io);
  const auto start = process_start_time(c->pid());
  REQUIRE(start);
  RemoteProcess p{c->pid(), *start + 1, true};
  auto [out, code] = run(signal_script(p, SIGKILL));
  CHECK(out == "gone");
  CHECK(code == 3);
  CHECK(c->running());
}

TEST_CASE("pause stops the whole group, resume lets it run, both read back") {
  asio::io_context io;
  auto c = sleepers(io);
  RemoteProcess p{c->pid(), process_start_time(c->pid()).value(), true};
  auto [paused, pcode] = run(pause_script(p, 2s));
  CHECK(paused == "stopped");
  CHECK(pcode == 0);
  CHECK(processes_in_group(c->pgid()).size() == 3);
  CHECK(all_in_state(c->pgid(), 'T'));
  auto [resumed, rcode] = run(resume_script(p, 2s));
  CHECK(resumed == "running");
  CHECK(rcode == 0);
  CHECK(all_in_state(c->pgid(), 'S'));
  // Idempotent: resuming a running group again changes nothing.
  CHECK(run(resume_script(p, 2s)).first == "running");
}

TEST_CASE("pause of the leader alone leaves the rest of its group running") {
  asio::io_context io;
  auto c = sleepers(io);
  RemoteProcess p{c->pid(), process_start_time(c->pid()).value(), false};
  CHECK(run(pause_script(p, 2s)).first == "stopped");
  int stopped = 0;
  for (pid_t q : processes_in_group(c->pgid())) stopped += process_state(q) == 'T';
  CHECK(stopped == 1);
  CHECK(process_state(c->pid()) == 'T');
  CHECK(run(resume_script(p, 2s)).first == "running");
  CHECK(process_state(c->pid()) != 'T');
}

TEST_CASE("a kill reaches the group; afterwards the process is gone and resume is a no-op") {
  asio::io_context io;
  auto c = sleepers(io);
  RemoteProcess p{c->pid(), process_start_time(c->pid()).value(), true};
  auto [out, code] = run(signal_script(p, SIGKILL));
  CHECK(out == "sent");
  CHECK(code == 0);
  for (int i = 0; i < 500 && c->running(); ++i) ::usleep(2000);
  CHECK_FALSE(c->running());
  for (int i = 0; i < 500 && !processes_in_group(c->pgid()).empty(); ++i) ::usleep(2000);
  // Until they are reaped the group's members are zombies, which a kill
  // still reaches: the leader is reaped by the child's event loop, the
  // orphaned sleeps by this process (a child subreaper, as the harness is).
  std::string again;
  for (int i = 0; i < 250 && (again = run(signal_script(p, SIGKILL)).first) != "gone"; ++i) {
    io.restart();
    io.poll();
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    ::usleep(2000);
  }
  CHECK(again == "gone");
  auto [resumed, rcode] = run(resume_script(p, 1s));
  CHECK(rcode == 0);
  CHECK((resumed == "gone" || resumed == "running"));
}

TEST_CASE("await_state gives up with 'timeout' when the state never comes") {
  asio::io_context io;
  auto c = sleepers(io);
  RemoteProcess p{c->pid(), process_start_time(c->pid()).value(), true};
  auto [out, code] = run(await_state_script(p, true, 100ms));
  CHECK(out == "timeout");
  CHECK(code == 4);
}

TEST_CASE("PID 1 and below are never targets") {
  CHECK_THROWS_AS(signal_script(RemoteProcess{1, 1, false}, SIGKILL), std::invalid_argument);
  CHECK_THROWS_AS(pause_script(RemoteProcess{0, 1, true}, 1s), std::invalid_argument);
}

TEST_CASE("a process that leads no group (an attached one may not) is paused and resumed alone") {
  asio::io_context io;
  auto c = sleepers(io);
  pid_t member = 0;
  for (pid_t q : processes_in_group(c->pgid()))
    if (q != c->pid()) member = q;
  REQUIRE(member > 0);
  RemoteProcess p{member, process_start_time(member).value(), true};
  CHECK(run(pause_script(p, 2s)).first == "stopped");
  CHECK(process_state(member) == 'T');
  CHECK(process_state(c->pid()) != 'T');
  CHECK(run(resume_script(p, 2s)).first == "running");
  CHECK(process_state(member) != 'T');
}
