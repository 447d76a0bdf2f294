// Remote faults healed by the host itself (the guardian, os/guardian.hpp),
// against the ssh test hosts (ssh_hosts.hpp), as root.
//
// A "service" is started on a host by the test through ssh, outside
// faultline (a stand-in for a service of an existing staging environment:
// a process group of two sleeps). A controller process forked by the test
// does what a faultline run does for a remote process.pause: it leaves a
// guardian on the host through ssh holding the identity-checked SIGCONT,
// pauses the group with one identity-checked script, and renews the lease
// while it runs. Then the controller is lost:
//   - SIGKILLed (with no watchdog left to help: the harness and its
//     watchdog both dead): the guardian's stdin reaches EOF, it resumes the
//     service at once;
//   - cut off from the host (its traffic to and from the controller's
//     address dropped in the host's namespace, the controller still running
//     and renewing into the void): no EOF, the lease runs out, the host
//     resumes the service by itself.
// Either way the service must run again within lease + 1 s, no guardian (nor
// a sleeper of it) may be left on the host, and the service is left exactly
// as found (same pid, same start time, running). The hosts share this
// machine's pid namespace, so the state is read straight from /proc while
// the link is cut, and confirmed over ssh once it is back.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "os/clock.hpp"
#include "os/guardian.hpp"
#include "os/procfs.hpp"
#include "os/remote_process.hpp"
#include "os/remote_shell.hpp"
#include "os/spawn.hpp"
#include "os/subprocess.hpp"
#include "ssh_hosts.hpp"

using namespace itest;
using namespace faultline;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr Nanos kLease = 2s;

/// Host i of the fixture as a RemoteShell: `ssh -F CONFIG hI -- /bin/sh -c SCRIPT`.
struct TestShell final : RemoteShell {
  TestShell(const SshHosts& h, int i) : hosts(h), index(i), name(h.host(i).name) {}
  const std::string& host() const override { return name; }
  std::vector<std::string> argv(const std::string& script) const override {
    return hosts.ssh_argv(index, "/bin/sh -c " + shell_quote(script));
  }
  const SshHosts& hosts;
  int index;
  std::string name;
};

/// Starts the stand-in service on host i (outside faultline); its leader.
RemoteProcess start_service(const SshHosts& hosts, int i) {
  HostCommand r = hosts.ssh(i, "setsid sh -c 'sleep 300 & exec sleep 300' </dev/null >/dev/null 2>&1 & echo $!");
  REQUIRE(r.code == 0);
  RemoteProcess p;
  p.pid = std::stoi(r.out);
  for (int k = 0; k < 200 && processes_in_group(p.pid).size() < 2; ++k) std::this_thread::sleep_for(5ms);
  HostCommand st = hosts.ssh(i, "cut -d' ' -f22 /proc/" + std::to_string(p.pid) + "/stat");
  REQUIRE(st.code == 0);
  p.start_time = std::stoull(st.out);
  p.group = true;
  return p;
}

bool group_stopped(pid_t pgid) {
  const auto members = processes_in_group(pgid);
  for (pid_t m : members)
    if (process_state(m) != 'T') return false;
  return !members.empty();
}
bool group_running(pid_t pgid) {
  const auto members = processes_in_group(pgid);
  for (pid_t m : members)
    if (process_state(m) == 'T') return false;
  return members.size() == 2;
}

/// Processes on this machine (hosts included) whose command line holds `marker`.
std::vector<pid_t> holding(const std::string& marker) {
  std::vector<pid_t> out;
  for (const ProcStat& p : list_processes()) {
    // A process that exited since the listing has no command line: not an error.
    const auto cmd = read_proc_cmdline(p.pid);
    if (cmd && cmd->find(marker) != std::string::npos) out.push_back(p.pid);
  }
  return out;
}

/// Forks the controller: guardian first, then the pause; "ready" on `ready_fd`,
/// then it renews the lease until it is killed.
pid_t start_controller(const SshHosts& hosts, int i, const RemoteProcess& p, const std::string& id, int ready_fd) {
  const pid_t c = ::fork();
  if (c != 0) return c;
  try {
    asio::io_context io;
    TestShell shell(hosts, i);
    GuardianSpec spec;
    spec.id = id;
    spec.revert = resume_script(p, 2s);
    spec.lease = kLease;
    auto fut = asio::co_spawn(io, Guardian::start(io.get_executor(), shell, spec, 15s), asio::use_future);
    while (fut.wait_for(0s) != std::future_status::ready) io.run_one_for(50ms);
    auto guardian = fut.get();
    const auto paused = run_sync(shell.argv(pause_script(p, 2s)), 15s);
    if (paused.output != "stopped\n") ::_exit(3);
    if (::write(ready_fd, "ready\n", 6) != 6) ::_exit(4);
    io.restart();
    io.run_for(std::chrono::hours(1));  // renewing, until killed
  } catch (...) {
    ::_exit(2);
  }
  ::_exit(0);
}

/// Waits for the controller's "ready"; false when it died first.
bool wait_ready(int fd) {
  char buf[8] = {};
  return ::read(fd, buf, sizeof buf) > 0 && std::string(buf).starts_with("ready");
}

Nanos since(faultline::TimePoint t) { return faultline::SteadyClock::now() - t; }

}  // namespace

TEST_CASE("guardian over ssh: a SIGKILLed controller (no watchdog) during a remote pause: the host resumes it, nothing left") {
  SshHosts::sweep_stale();
  SshHosts hosts(1);
  const RemoteProcess svc = start_service(hosts, 0);
  const std::string id = "itest-kill-" + std::to_string(::getpid());
  int pipefd[2];
  REQUIRE(::pipe(pipefd) == 0);
  const pid_t controller = start_controller(hosts, 0, svc, id, pipefd[1]);
  ::close(pipefd[1]);
  REQUIRE(wait_ready(pipefd[0]));
  ::close(pipefd[0]);
  CHECK(group_stopped(svc.pid));
  CHECK(hosts.ssh(0, "grep -l '[f]aultline-guardian " + id + "' /proc/[0-9]*/cmdline | wc -l").out != "0\n");

  const auto killed = faultline::SteadyClock::now();
  ::kill(controller, SIGKILL);
  ::waitpid(controller, nullptr, 0);
  while (!group_running(svc.pid) && since(killed) < 10s) std::this_thread::sleep_for(10ms);
  const Nanos healed = since(killed);
  MESSAGE("resumed " << std::chrono::duration<double>(healed).count() << " s after the controller's SIGKILL");
  CHECK(group_running(svc.pid));
  CHECK(healed <= kLease + 1s);
  // No guardian, no sleeper of it, no ssh client of it on either side.
  while (!holding(guardian_marker(id)).empty() && since(killed) < kLease + 1s) std::this_thread::sleep_for(10ms);
  CHECK(holding(guardian_marker(id)).empty());
  // Read back on the host over ssh: the same process, running, no guardian.
  HostCommand back = hosts.ssh(0, "cut -d' ' -f3,22 /proc/" + std::to_string(svc.pid) +
                                      "/stat; grep -l '[f]aultline-guardian " + id + "' /proc/[0-9]*/cmdline | wc -l");
  CHECK(back.out == fmt::format("S {}\n0\n", svc.start_time));
  ::kill(-svc.pid, SIGKILL);
}

TEST_CASE("guardian over ssh: the controller's link to the host cut during a remote pause: the lease runs out, the host resumes it") {
  SshHosts::sweep_stale();
  SshHosts hosts(1);
  const RemoteProcess svc = start_service(hosts, 0);
  const std::string id = "itest-cut-" + std::to_string(::getpid());
  int pipefd[2];
  REQUIRE(::pipe(pipefd) == 0);
  const pid_t controller = start_controller(hosts, 0, svc, id, pipefd[1]);
  ::close(pipefd[1]);
  REQUIRE(wait_ready(pipefd[0]));
  ::close(pipefd[0]);
  CHECK(group_stopped(svc.pid));

  // Cut: everything to and from the controller's address dropped on the host.
  const std::string ns = hosts.host(0).netns, ctl = hosts.controller_address();
  const std::string rules = "table inet itest_cut {\n chain in { type filter hook input priority -10; ip saddr " + ctl +
                            " drop; }\n chain out { type filter hook output priority -10; ip daddr " + ctl + " drop; }\n}\n";
  REQUIRE(hosts.run({"ip", "netns", "exec", ns, "nft", rules}).code == 0);
  const auto cut = faultline::SteadyClock::now();
  while (!group_running(svc.pid) && since(cut) < 15s) std::this_thread::sleep_for(10ms);
  const Nanos healed = since(cut);
  MESSAGE("resumed " << std::chrono::duration<double>(healed).count() << " s after the cut (lease "
                     << std::chrono::duration<double>(kLease).count() << " s)");
  CHECK(group_running(svc.pid));
  CHECK(healed <= kLease + 1s);
  // The guardian on the host is gone although its session is still open.
  auto on_host = [&] {
    std::size_t n = 0;
    for (pid_t p : holding(guardian_marker(id))) {
      std::ifstream comm("/proc/" + std::to_string(p) + "/comm");
      std::string c;
      comm >> c;
      n += c != "ssh";  // the controller's own ssh client still waits on the dead link
    }
    return n;
  };
  while (on_host() != 0 && since(cut) < kLease + 1s) std::this_thread::sleep_for(10ms);
  CHECK(on_host() == 0);

  hosts.run({"ip", "netns", "exec", ns, "nft", "delete table inet itest_cut"});
  ::kill(controller, SIGKILL);
  ::waitpid(controller, nullptr, 0);
  for (pid_t p : holding(guardian_marker(id))) ::kill(p, SIGKILL);  // its ssh clients, stuck on the cut link
  HostCommand back = hosts.ssh(0, "cut -d' ' -f3,22 /proc/" + std::to_string(svc.pid) +
                                      "/stat; grep -l '[f]aultline-guardian " + id + "' /proc/[0-9]*/cmdline | wc -l");
  CHECK(back.out == fmt::format("S {}\n0\n", svc.start_time));
  ::kill(-svc.pid, SIGKILL);
}

// ---------------------------------------------------------------- a faultline run loses its controller

namespace {

/// A run with one service on h1 (a group of two sleeps) paused for 30 s.
std::string pause_scenario(const SshHosts& hosts) {
  return "name = \"remote-pause\"\nsteady_for = \"100ms\"\nwatch = \"100ms\"\ncool_down = \"0s\"\n" + hosts.toml_hosts() +
         R"([[service]]
name = "svc"
host = "h1"
command = ["sh", "-c", "sleep 300 & exec sleep 300"]
stop_grace = "1s"
[[probe]]
name = "alive"
kind = "exec"
command = "true"
interval = "50ms"
[[fault]]
name = "freeze"
kind = "process.pause"
target = "svc"
at = "50ms"
duration = "30s"
)";
}

}  // namespace

TEST_CASE("faultline run: harness and watchdog SIGKILLed during a remote pause: the host resumes the service within lease + 1 s") {
  SshHosts::sweep_stale();
  SshHosts hosts(1);
  TempDir dir;
  write_file(dir / "s.toml", pause_scenario(hosts));
  Spawned run = spawn({faultline_bin(), "run", (dir / "s.toml").string(), "--out", (dir / "run").string()}, dir.path,
                      "run", {}, {"FAULTLINE_TEST_BLOCK_IN=hold"});
  REQUIRE_MESSAGE(wait_for_text(run.err, "faultline-test-hook: in hold", 60s), read_file(run.err));
  const auto ledger = read_json(dir / "run" / "ledger.json");
  const std::string run_id(ledger.at("run_id").as_string());
  const pid_t watchdog = static_cast<pid_t>(ledger.at("watchdog_pid").as_int64());
  // The ledger holds the host's revert command, named by its host.
  const auto& undo = ledger.at("faults").as_array().back().at("undo");
  CHECK(undo.at("kind").as_string() == "command");
  CHECK(undo.at("host").as_string() == "h1");
  HostCommand pid = hosts.ssh(0, "cat /tmp/faultline-" + run_id + "/pids/svc");
  REQUIRE(pid.code == 0);
  const pid_t leader = std::stoi(pid.out);
  REQUIRE(group_stopped(leader));
  const std::string marker = guardian_marker(run_id + "-");

  ::kill(watchdog, SIGKILL);
  ::kill(run.pid, SIGKILL);
  const auto killed = faultline::SteadyClock::now();
  wait_for(run, 5000ms);
  while (!group_running(leader) && since(killed) < 10s) std::this_thread::sleep_for(10ms);
  const Nanos healed = since(killed);
  MESSAGE("resumed " << std::chrono::duration<double>(healed).count() << " s after SIGKILL of harness and watchdog");
  CHECK(group_running(leader));
  CHECK(healed <= kDefaultLease + 1s);
  auto guardians_on_host = [&] {
    HostCommand g = hosts.ssh(0, "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f 2>/dev/null | grep -q '^/bin/sh -c : [f]aultline-guardian " +
                                     run_id + "' && echo $f; done | wc -l");
    return g.out;
  };
  while (guardians_on_host() != "0\n" && since(killed) < kDefaultLease + 1s) std::this_thread::sleep_for(50ms);
  CHECK(guardians_on_host() == "0\n");
  CHECK(hosts.ssh(0, "cut -d' ' -f3 /proc/" + std::to_string(leader) + "/stat").out == "S\n");
  // Then cleanup stops what the dead run left (its service, its directory on the host).
  Result clean = itest::faultline(dir, {"cleanup", "--run", run_id}, 60s);
  INFO(clean.out << clean.err);
  CHECK(clean.code == 0);
  for (pid_t p : holding(hosts.subnet().substr(0, hosts.subnet().size() - 4))) {
    std::ifstream comm("/proc/" + std::to_string(p) + "/comm");
    std::string c;
    comm >> c;
    if (c == "ssh") ::kill(p, SIGKILL);  // the run's master connection, orphaned with the harness
  }
  ::kill(-leader, SIGKILL);
}
