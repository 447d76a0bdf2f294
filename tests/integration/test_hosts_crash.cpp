// Nothing left behind on the hosts when the harness itself is killed
// (issue 14): a drill on two test hosts (ssh_hosts.hpp), a service started
// by the run on each and one of them paused (a guardian on its host), the
// harness SIGKILLed in the middle of the hold. Then, within a few seconds:
// on either host no process of the run's services, no guardian and no
// /tmp/faultline-RUNID; on this machine no ssh process toward the hosts (the
// run's master connections, the services' ssh clients) and no control
// socket directory; and no ledger in the state directory, so the next run
// starts without `cleanup`. Once with the watchdog doing it, once with the
// watchdog SIGKILLed too and `faultline cleanup` doing it.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <set>
#include <thread>

#include "harness.hpp"
#include "os/procfs.hpp"
#include "ssh_hosts.hpp"

using namespace itest;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// Two hosts, a group of two sleeps on each, the one on h1 paused for 30 s.
std::string crash_scenario(const SshHosts& hosts) {
  std::string text = "name = \"hosts-crash\"\nsteady_for = \"100ms\"\nwatch = \"100ms\"\ncool_down = \"0s\"\n" +
                     hosts.toml_hosts();
  for (const auto& h : hosts.hosts())
    text += fmt::format("[[service]]\nname = \"svc-{0}\"\nhost = \"{0}\"\ncommand = [\"sh\", \"-c\", \"sleep 300 & exec sleep 300\"]\n"
                        "stop_grace = \"1s\"\n",
                        h.name);
  return text + R"([[probe]]
name = "alive"
kind = "exec"
command = "true"
interval = "50ms"
[[fault]]
name = "freeze"
kind = "process.pause"
target = "svc-h1"
at = "50ms"
duration = "30s"
)";
}

/// Local processes whose command line holds `needle` (ssh clients toward the hosts).
std::vector<std::string> local_with(const std::string& needle) {
  std::vector<std::string> out;
  for (const faultline::ProcStat& p : faultline::list_processes()) {
    if (p.dead()) continue;
    const auto cmd = faultline::read_proc_cmdline(p.pid);
    if (cmd && cmd->find(needle) != std::string::npos && cmd->starts_with("ssh ")) out.push_back(*cmd);
  }
  return out;
}

/// What the run left, on the hosts and here; "" = nothing.
std::string left_behind(const SshHosts& hosts, const std::string& run_id, const std::set<pid_t>& groups,
                        const fs::path& control_dir, const fs::path& state) {
  std::string out;
  for (pid_t p : live_in_groups(groups)) out += fmt::format("service process {} ({}); ", p, state_of(p));
  for (int i = 0; i < 2; ++i) {
    HostCommand r = hosts.ssh(i, "ls -d /tmp/faultline-" + run_id +
                                     " 2>/dev/null; for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f 2>/dev/null | "
                                     "grep -q '[f]aultline-guardian " + run_id + "' && echo guardian $f; done; true");
    if (r.code != 0) out += hosts.host(i).name + ": ssh failed: " + r.err + "; ";
    else if (!r.out.empty()) out += hosts.host(i).name + ": " + r.out + "; ";
  }
  const std::string subnet = hosts.subnet().substr(0, hosts.subnet().size() - 4);
  for (const auto& c : local_with(subnet)) out += "local: " + c + "; ";
  if (!control_dir.empty() && fs::exists(control_dir)) out += "control directory " + control_dir.string() + "; ";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(state, ec))
    if (e.path().extension() == ".json") out += "ledger " + e.path().filename().string() + "; ";
  return out;
}

/// Runs the drill to the middle of the hold, kills it (and the watchdog when
/// `cleanup`), then polls until nothing is left or 10 s pass; "" when nothing was.
std::string crash_once(bool cleanup) {
  SshHosts::sweep_stale();
  SshHosts hosts(2);
  TempDir dir;
  write_file(dir / "s.toml", crash_scenario(hosts));
  Spawned run = spawn({faultline_bin(), "run", (dir / "s.toml").string(), "--out", (dir / "run").string()}, dir.path,
                      "run", {}, {"FAULTLINE_TEST_BLOCK_IN=hold"});
  if (!wait_for_text(run.err, "faultline-test-hook: in hold", 60s)) {
    ::kill(run.pid, SIGKILL);
    wait_for(run, 5000ms);
    return "never reached the hold:\n" + read_file(run.err);
  }
  const auto ledger = read_json(dir / "run" / "ledger.json");
  const std::string run_id(ledger.at("run_id").as_string());
  const pid_t watchdog = static_cast<pid_t>(ledger.at("watchdog_pid").as_int64());
  // The ledger names both hosts, their directory and a cleanup over a fresh ssh (no control socket).
  const auto& in_ledger = ledger.at("hosts").as_array();
  CHECK(in_ledger.size() == 2);
  for (const auto& h : in_ledger) {
    CHECK(h.at("run_dir").as_string() == "/tmp/faultline-" + run_id);
    std::string argv;
    for (const auto& a : h.at("cleanup").as_array()) argv += std::string(a.as_string()) + " ";
    CHECK(argv.find(" -S ") == std::string::npos);
  }
  const fs::path control_dir(std::string(ledger.at("ssh_control_dir").as_string()));
  CHECK(fs::exists(control_dir));
  // The services' leaders, from their pid files on the hosts ("PID STARTTIME").
  std::set<pid_t> groups;
  for (int i = 0; i < 2; ++i) {
    HostCommand pid = hosts.ssh(i, fmt::format("cat /tmp/faultline-{}/pids/svc-h{}", run_id, i + 1));
    REQUIRE(pid.code == 0);
    groups.insert(std::stoi(pid.out));
  }
  CHECK(live_in_groups(groups).size() == 4);

  if (cleanup) ::kill(watchdog, SIGKILL);
  ::kill(run.pid, SIGKILL);
  const auto t0 = std::chrono::steady_clock::now();
  wait_for(run, 5000ms);
  if (cleanup) {
    Result clean = itest::faultline(dir, {"cleanup"}, 60s);
    INFO(clean.out << clean.err);
    CHECK(clean.code == 0);
    CHECK(clean.out.find("host 'h2': the run's services stopped, /tmp/faultline-" + run_id + " removed") !=
          std::string::npos);
  }
  std::string left = left_behind(hosts, run_id, groups, control_dir, dir / "state");
  while (!left.empty() && std::chrono::steady_clock::now() - t0 < 10s) {
    std::this_thread::sleep_for(50ms);
    left = left_behind(hosts, run_id, groups, control_dir, dir / "state");
  }
  MESSAGE(std::string(cleanup ? "faultline cleanup" : "the watchdog") << ": nothing of the run left on 2 hosts after "
                                                            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
                                                            << " s");
  if (left.empty()) return "";
  return left + "\n--- watchdog\n" + read_file(dir / "run" / "logs" / "watchdog.log");
}

}  // namespace

TEST_CASE("hosts: harness SIGKILLed mid-drill on 2 hosts: the watchdog leaves nothing of the run on either host or here") {
  const std::string left = crash_once(false);
  CHECK_MESSAGE(left.empty(), left);
}

TEST_CASE("hosts: harness and watchdog SIGKILLed mid-drill on 2 hosts: `faultline cleanup` leaves nothing of the run") {
  const std::string left = crash_once(true);
  CHECK_MESSAGE(left.empty(), left);
}
