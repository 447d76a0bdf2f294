// The scripts of a remote service, run for real under /bin/sh through
// LocalShell (the seam a host sits behind): the service in its own session
// and group with its pid file, its output and exit status handed back; the
// stop script's signal, grace and SIGKILL; the pid script's identity; and
// the remote plan of a scenario with hosts.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "os/procfs.hpp"
#include "os/spawn.hpp"
#include "scenario/scenario_parser.hpp"
#include "system/remote_service.hpp"

using namespace faultline;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct RunDir {
  fs::path path = fs::temp_directory_path() / ("faultline-remote-" + std::to_string(::getpid()));
  RunDir() { fs::create_directories(path); }
  ~RunDir() { fs::remove_all(path); }
};

ServiceSpec service(const std::string& name, std::vector<std::string> argv) {
  ServiceSpec s;
  s.name = name;
  s.command.argv = std::move(argv);
  return s;
}

pid_t read_pid(const fs::path& file) {
  for (int i = 0; i < 500; ++i) {
    std::ifstream in(file);
    pid_t p = 0;
    if (in >> p && p > 0) return p;
    std::this_thread::sleep_for(10ms);  // the service writes it as it starts
  }
  return -1;
}

/// Launches `script` under LocalShell; the caller reaps it.
pid_t launch(const std::string& script) {
  LaunchOptions o;
  o.argv = LocalShell().argv(script);
  int err = 0;
  return launch_process(o, err);
}

/// Whether no live process is left in group `pgid` within 2 s (orphans of
/// the group that this process adopted as subreaper are reaped meanwhile).
bool group_gone(pid_t pgid) {
  for (int i = 0; i < 200; ++i) {
    while (::waitpid(-pgid, nullptr, WNOHANG) > 0) {
    }
    if (::kill(-pgid, 0) == -1) return true;
    std::this_thread::sleep_for(10ms);  // SIGKILL is delivered on the kernel's schedule
  }
  return false;
}

int reap(pid_t pid) {
  int st = 0;
  ::waitpid(pid, &st, 0);
  child_reaped(pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace

TEST_CASE("start_script: own directory, environment, pid file; output and exit status come back") {
  RunDir d;
  ServiceSpec s = service("svc", {"/bin/sh", "-c", "pwd; echo \"$GREETING\"; echo oops >&2; exit 3"});
  s.env["GREETING"] = "it's a 'test'";
  auto out = run_sync(LocalShell().argv(start_script(d.path.string(), s)), 10s);
  CHECK(out.status.code == 3);
  CHECK(out.output.find((d.path / "services" / "svc").string() + "\n") != std::string::npos);
  CHECK(out.output.find("it's a 'test'\n") != std::string::npos);
  CHECK(out.output.find("oops\n") != std::string::npos);
  CHECK(fs::exists(d.path / "pids" / "svc"));
}

TEST_CASE("start_script: the service leads its own session and group; stop_script stops the group") {
  RunDir d;
  ServiceSpec s = service("sleeper", {"sh", "-c", "sleep 30 & wait"});
  const pid_t local = launch(start_script(d.path.string(), s));
  REQUIRE(local > 0);
  const pid_t svc = read_pid(d.path / "pids" / "sleeper");
  REQUIRE(svc > 0);
  CHECK(::getpgid(svc) == svc);
  CHECK(::getsid(svc) == svc);
  auto stop = run_sync(LocalShell().argv(stop_script(d.path.string(), "sleeper", SIGTERM, 2s)), 10s);
  CHECK(stop.status.success());
  CHECK(stop.output == "stopped\n");
  // setsid -w hands the status back: a service ended by signal N exits N
  // (util-linux's setsid), a failure for the restart policy.
  CHECK(reap(local) == SIGTERM);
  CHECK(group_gone(svc));
  // Nothing left to stop: the script says so and succeeds.
  auto again = run_sync(LocalShell().argv(stop_script(d.path.string(), "sleeper", SIGTERM, 2s)), 10s);
  CHECK(again.output == "gone\n");
  auto none = run_sync(LocalShell().argv(stop_script(d.path.string(), "never-started", SIGTERM, 2s)), 10s);
  CHECK(none.output == "gone\n");
}

TEST_CASE("stop_script: a group that ignores the stop signal is killed after the grace") {
  RunDir d;
  ServiceSpec s = service("stubborn", {"sh", "-c", "trap '' TERM; sleep 30 & wait"});
  const pid_t local = launch(start_script(d.path.string(), s));
  const pid_t svc = read_pid(d.path / "pids" / "stubborn");
  REQUIRE(svc > 0);
  std::this_thread::sleep_for(100ms);  // the trap is set before the shell forks sleep
  const auto t0 = std::chrono::steady_clock::now();
  auto stop = run_sync(LocalShell().argv(stop_script(d.path.string(), "stubborn", SIGTERM, 300ms)), 10s);
  CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);
  CHECK(stop.output == "killed\n");
  reap(local);
  CHECK(group_gone(svc));
}

TEST_CASE("pid_script: the pid and its /proc start time, or a failure when gone") {
  RunDir d;
  const pid_t local = launch(start_script(d.path.string(), service("p", {"sleep", "30"})));
  const pid_t svc = read_pid(d.path / "pids" / "p");
  REQUIRE(svc > 0);
  auto out = run_sync(LocalShell().argv(pid_script(d.path.string(), "p")), 10s);
  CHECK(out.status.success());
  CHECK(out.output == std::to_string(svc) + " " + std::to_string(process_start_time(svc).value_or(0)) + "\n");
  run_sync(LocalShell().argv(stop_script(d.path.string(), "p", SIGKILL, 0s)), 10s);
  reap(local);
  CHECK_FALSE(run_sync(LocalShell().argv(pid_script(d.path.string(), "p")), 10s).status.success());
}

TEST_CASE("pid_script: waits for the pid file of a service that has only just been started") {
  RunDir d;
  fs::create_directories(d.path / "pids");
  const std::string me = std::to_string(::getpid()) + " " + std::to_string(process_start_time(::getpid()).value_or(0));
  std::thread late([&] {
    std::this_thread::sleep_for(300ms);
    std::ofstream(d.path / "pids" / "p") << me << "\n";
  });
  auto out = run_sync(LocalShell().argv(pid_script(d.path.string(), "p")), 10s);
  late.join();
  CHECK(out.status.success());
  CHECK(out.output == me + "\n");
}

TEST_CASE("start_script: the pid file holds the service's pid and start time before its command runs") {
  RunDir d;
  const pid_t local = launch(start_script(d.path.string(), service("id", {"sleep", "30"})));
  const pid_t svc = read_pid(d.path / "pids" / "id");
  REQUIRE(svc > 0);
  std::ifstream in(d.path / "pids" / "id");
  pid_t p = 0;
  unsigned long long start = 0;
  CHECK(static_cast<bool>(in >> p >> start));
  CHECK(p == svc);
  CHECK(start == process_start_time(svc).value_or(0));
  run_sync(LocalShell().argv(stop_script(d.path.string(), "id", SIGKILL, 0s)), 10s);
  reap(local);
}

TEST_CASE("host_cleanup_script: kills the run's groups still the ones started, spares a reused pid, removes the directory") {
  RunDir d;
  const pid_t local = launch(start_script(d.path.string(), service("svc", {"sh", "-c", "sleep 30 & wait"})));
  const pid_t svc = read_pid(d.path / "pids" / "svc");
  REQUIRE(svc > 0);
  // A pid file naming a live process with another start time: a pid the
  // kernel gave to someone else since. Left alone.
  pid_t other = ::fork();
  if (other == 0) {
    ::setpgid(0, 0);
    ::pause();
    ::_exit(0);
  }
  ::setpgid(other, other);
  {
    std::ofstream f(d.path / "pids" / "reused");
    f << other << " " << process_start_time(other).value_or(0) + 1 << "\n";
  }
  auto out = run_sync(LocalShell().argv(host_cleanup_script(d.path.string())), 10s);
  CHECK(out.status.success());
  CHECK(out.output == "killed " + std::to_string(svc) + "\n");
  CHECK(reap(local) == SIGKILL);
  CHECK(group_gone(svc));
  CHECK_FALSE(fs::exists(d.path));
  CHECK(process_state(other).value_or('-') != 'Z');
  CHECK(::kill(other, 0) == 0);
  ::kill(other, SIGKILL);
  ::waitpid(other, nullptr, 0);
  // Again, with nothing there: still a success (idempotent).
  CHECK(run_sync(LocalShell().argv(host_cleanup_script(d.path.string())), 10s).status.success());
}

TEST_CASE("stop_script: a pid file naming another process (a reused pid) is not signalled: gone") {
  RunDir d;
  pid_t other = ::fork();
  if (other == 0) {
    ::setpgid(0, 0);
    ::pause();
    ::_exit(0);
  }
  ::setpgid(other, other);
  fs::create_directories(d.path / "pids");
  {
    std::ofstream f(d.path / "pids" / "svc");
    f << other << " " << process_start_time(other).value_or(0) + 1 << "\n";
  }
  auto out = run_sync(LocalShell().argv(stop_script(d.path.string(), "svc", SIGKILL, 0s)), 10s);
  CHECK(out.status.success());
  CHECK(out.output == "gone\n");
  CHECK(::kill(other, 0) == 0);
  CHECK(process_state(other).value_or('-') != 'Z');
  ::kill(other, SIGKILL);
  ::waitpid(other, nullptr, 0);
}

TEST_CASE("remote_plan: every remote action of a scenario with hosts, none without") {
  auto r = parse_scenario(R"(name = "x"
[[host]]
name = "db1"
address = "10.0.0.1"
user = "root"
port = 2222
[[service]]
name = "etcd"
host = "db1"
command = "etcd"
stop_grace = "2s"
[[service]]
name = "attached"
host = "db1"
attach = { systemd = "redis.service" }
[[service]]
name = "local"
command = "true"
)",
                          "p.toml");
  REQUIRE(r.scenario.has_value());
  auto lines = remote_plan(*r.scenario);
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  INFO(all);
  CHECK(all.find("connect to host 'db1': ssh root@10.0.0.1 port 2222") != std::string::npos);
  CHECK(all.find("on 'db1': mkdir -p -m 700 /tmp/faultline-RUNID") != std::string::npos);
  CHECK(all.find("on 'db1': start service 'etcd' in /tmp/faultline-RUNID/services/etcd") != std::string::npos);
  CHECK(all.find("on 'db1': stop service 'etcd': SIGTERM to its group, SIGKILL after 2s") != std::string::npos);
  CHECK(all.find("find attached service 'attached' (never started or stopped)") != std::string::npos);
  CHECK(all.find("'local'") == std::string::npos);
  CHECK(all.find("on 'db1': rm -rf /tmp/faultline-RUNID") != std::string::npos);
  CHECK(lines.back() == "close the connection to 'db1'");
  Scenario none;
  CHECK(remote_plan(none).empty());
  CHECK(remote_run_dir("20261204-abc") == "/tmp/faultline-20261204-abc");
}
