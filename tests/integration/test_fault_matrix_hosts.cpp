// The fault matrix, hosts column (issue 14, "The guardian"): a remote fault
// held by a real faultline run, then the controller is lost, and every host
// must heal by itself within the guardian's lease + 1 s, read back on each
// host. Kinds: net.partition across hosts (h1 isolated from h2 and h3: an
// nft table on each of the three), process.pause of a service on h1, and
// net.bandwidth across hosts (web-h1 limited both ways: the run's htb with
// its tbf on h1 and h2; the qdisc cells stand for net.latency too, whose
// host version differs only in the leaf, netem, which this machine's kernel
// lacks).
// Ways to lose the controller:
//   - SIGKILL of the watchdog, then of the harness: nobody is left to
//     revert or renew; every host's guardian sees its stdin close and
//     reverts (the lease is the bound);
//   - the controller's link to h1 cut (the root namespace's end of h1's
//     veth set down: nothing changes inside the host) while the run goes on
//     renewing into the void: no end-of-file reaches h1's guardian, its
//     lease runs out and h1 heals; the hosts still reached keep the fault
//     until the run reverts it (a SIGINT here, after the link is back).
// The run is held at the fault's hold by the test hook
// (FAULTLINE_TEST_BLOCK_IN=hold, test_fault_matrix.cpp). The heal is
// polled straight in the host's namespace (its nft tables, /proc: the
// hosts share this machine's pid namespace), which works while the link is
// cut, then confirmed over ssh. The process.pause SIGKILL cell is
// test_remote_faults.cpp's "faultline run: harness and watchdog SIGKILLed
// during a remote pause"; the others are here. The time to heal of each
// cell is printed (MESSAGE) in the form docs/distributed.md quotes.
#include <doctest/doctest.h>
#include <signal.h>

#include <thread>

#include "harness.hpp"
#include "host_faults.hpp"
#include "host_qdisc_checks.hpp"
#include "os/guardian.hpp"
#include "ssh_hosts.hpp"

using namespace itest;

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kLease = std::chrono::seconds(5);  // faultline's default lease (kDefaultLease)

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

/// A held run of `scenario`; its run id and watchdog from the ledger.
struct HeldRun {
  Spawned proc;
  std::string run_id;
  pid_t watchdog = 0;
};

HeldRun hold(const TempDir& dir, const std::string& scenario) {
  write_file(dir / "s.toml", scenario);
  HeldRun h;
  h.proc = spawn({faultline_bin(), "run", (dir / "s.toml").string(), "--out", (dir / "run").string()}, dir.path, "run",
                 {}, {"FAULTLINE_TEST_BLOCK_IN=hold"});
  REQUIRE_MESSAGE(wait_for_text(h.proc.err, "faultline-test-hook: in hold", std::chrono::seconds(60)),
                  read_file(h.proc.err));
  const auto ledger = read_json(dir / "run" / "ledger.json");
  h.run_id = std::string(ledger.at("run_id").as_string());
  h.watchdog = static_cast<pid_t>(ledger.at("watchdog_pid").as_int64());
  return h;
}

/// Polls `healed` every 10 ms for at most 15 s; the time it took.
template <class F>
Clock::duration time_to(F healed) {
  const auto t0 = Clock::now();
  while (!healed() && Clock::now() - t0 < std::chrono::seconds(15)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return Clock::now() - t0;
}

/// Guardians of run `run_id` anywhere on this machine (the hosts' processes included).
int guardians(const std::string& run_id) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string cmd = read_file(e.path() / "cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    n += cmd.starts_with("/bin/sh -c : " + faultline::guardian_marker(run_id));
  }
  return n;
}

/// The services' group leaders the run started on host i.
pid_t leader_on(const SshHosts& hosts, int i, const std::string& run_id, const std::string& service) {
  HostCommand r = hosts.ssh(i, "cat /tmp/faultline-" + run_id + "/pids/" + service);
  REQUIRE(r.code == 0);
  return std::stoi(r.out);
}

bool group_stopped(pid_t pgid, bool want) {
  const auto members = processes_in_groups({pgid});
  if (members.empty()) return false;
  for (pid_t m : members)
    if ((state_of(m) == 'T') != want) return false;
  return true;
}

/// What a dead run left: its ssh master, orphaned with the harness (the run's
/// services and directories on the hosts go with `faultline cleanup`).
void clean_after_kill(const TempDir& dir, const SshHosts& hosts, const std::string& run_id) {
  Result clean = itest::faultline(dir, {"cleanup", "--run", run_id}, std::chrono::seconds(60));
  INFO(clean.out << clean.err);
  CHECK(clean.code == 0);
  const std::string prefix = hosts.subnet().substr(0, hosts.subnet().size() - 4);
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string cmd = read_file(e.path() / "cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.starts_with("ssh ") && cmd.find(prefix) != std::string::npos)
      ::kill(std::atoi(e.path().filename().c_str()), SIGKILL);
  }
}

std::string pause_h1() {
  return R"([[fault]]
name = "freeze"
kind = "process.pause"
target = "web-h1"
at = "50ms"
duration = "60s"
)";
}

}  // namespace

TEST_CASE("fault matrix, hosts: net.partition x SIGKILL of watchdog and harness: every host drops its table within lease + 1 s") {
  SshHosts::sweep_stale();
  SshHosts hosts(3);
  TempDir dir;
  HeldRun run = hold(dir, hosts_scenario(hosts, isolate_h1("drop", "60s")));
  for (int i = 0; i < 3; ++i) REQUIRE(faultline_tables(hosts, i) != "");
  REQUIRE(guardians(run.run_id) >= 3);  // one per host (each a timer and a reader process)

  ::kill(run.watchdog, SIGKILL);
  ::kill(run.proc.pid, SIGKILL);
  const auto healed = time_to([&] {
    return faultline_tables(hosts, 0).empty() && faultline_tables(hosts, 1).empty() && faultline_tables(hosts, 2).empty() &&
           guardians(run.run_id) == 0;
  });
  wait_for(run.proc, std::chrono::milliseconds(5000));
  MESSAGE("net.partition x SIGKILL: 3 hosts healed " << seconds(healed) << " s after the SIGKILL (lease 5 s)");
  CHECK(healed <= kLease + std::chrono::seconds(1));
  for (int i = 0; i < 3; ++i) CHECK(host_state_over_ssh(hosts, i, run.run_id) == "---\n0\n");
  clean_after_kill(dir, hosts, run.run_id);
}

TEST_CASE("fault matrix, hosts: net.partition x the controller's link to h1 cut: h1 drops its table within lease + 1 s") {
  SshHosts::sweep_stale();
  SshHosts hosts(3);
  TempDir dir;
  HeldRun run = hold(dir, hosts_scenario(hosts, isolate_h1("drop", "60s")));
  const std::string end = controller_end(hosts, 0);
  REQUIRE(end != "");
  REQUIRE(faultline_tables(hosts, 0) != "");

  REQUIRE(hosts.run({"ip", "link", "set", end, "down"}).code == 0);
  const auto healed = time_to([&] { return faultline_tables(hosts, 0).empty(); });
  MESSAGE("net.partition x link cut: h1 healed " << seconds(healed) << " s after the cut (lease 5 s)");
  CHECK(healed <= kLease + std::chrono::seconds(1));
  // The hosts the controller still reaches keep the partition it holds.
  CHECK(faultline_tables(hosts, 1) != "");
  CHECK(faultline_tables(hosts, 2) != "");
  REQUIRE(hosts.run({"ip", "link", "set", end, "up"}).code == 0);
  CHECK(host_state_over_ssh(hosts, 0, run.run_id) == "---\n0\n");

  ::kill(run.proc.pid, SIGINT);
  CHECK(wait_for(run.proc, std::chrono::milliseconds(60000)) == 130);
  for (int i = 0; i < 3; ++i) CHECK(host_state_over_ssh(hosts, i, run.run_id) == "---\n0\n");
}

TEST_CASE("fault matrix, hosts: process.pause x the controller's link to h1 cut: h1 resumes the service within lease + 1 s") {
  SshHosts::sweep_stale();
  SshHosts hosts(1);
  TempDir dir;
  HeldRun run = hold(dir, hosts_scenario(hosts, pause_h1()));
  const pid_t leader = leader_on(hosts, 0, run.run_id, "web-h1");
  REQUIRE(group_stopped(leader, true));
  const std::string end = controller_end(hosts, 0);
  REQUIRE(end != "");

  REQUIRE(hosts.run({"ip", "link", "set", end, "down"}).code == 0);
  const auto healed = time_to([&] { return group_stopped(leader, false); });
  MESSAGE("process.pause x link cut: resumed " << seconds(healed) << " s after the cut (lease 5 s)");
  CHECK(healed <= kLease + std::chrono::seconds(1));
  REQUIRE(hosts.run({"ip", "link", "set", end, "up"}).code == 0);
  CHECK(host_state_over_ssh(hosts, 0, run.run_id) == "---\n0\n");

  ::kill(run.proc.pid, SIGINT);
  CHECK(wait_for(run.proc, std::chrono::milliseconds(60000)) == 130);
  CHECK(processes_in_groups({leader}).empty());
}

TEST_CASE("fault matrix, hosts: net.bandwidth x SIGKILL of watchdog and harness: every host drops the run's qdisc within lease + 1 s") {
  SshHosts::sweep_stale();
  SshHosts hosts(2);
  TempDir dir;
  HeldRun run = hold(dir, hosts_scenario(hosts, limit_h1("200KB/s", "both", "60s")));
  for (int i = 0; i < 2; ++i) REQUIRE(run_qdiscs(hosts, i) != "");
  REQUIRE(guardians(run.run_id) >= 2);  // one per host (each a timer and a reader process)

  ::kill(run.watchdog, SIGKILL);
  ::kill(run.proc.pid, SIGKILL);
  const auto healed = time_to([&] {
    return run_qdiscs(hosts, 0).empty() && run_qdiscs(hosts, 1).empty() && guardians(run.run_id) == 0;
  });
  wait_for(run.proc, std::chrono::milliseconds(5000));
  MESSAGE("net.bandwidth x SIGKILL: 2 hosts healed " << seconds(healed) << " s after the SIGKILL (lease 5 s)");
  CHECK(healed <= kLease + std::chrono::seconds(1));
  for (int i = 0; i < 2; ++i) {
    CHECK(run_qdiscs_over_ssh(hosts, i) == "");
    CHECK(host_state_over_ssh(hosts, i, run.run_id) == "---\n0\n");
  }
  clean_after_kill(dir, hosts, run.run_id);
}

TEST_CASE("fault matrix, hosts: net.bandwidth x the controller's link to h1 cut: h1 drops the run's qdisc within lease + 1 s") {
  SshHosts::sweep_stale();
  SshHosts hosts(2);
  TempDir dir;
  HeldRun run = hold(dir, hosts_scenario(hosts, limit_h1("200KB/s", "both", "60s")));
  const std::string end = controller_end(hosts, 0);
  REQUIRE(end != "");
  REQUIRE(run_qdiscs(hosts, 0) != "");

  REQUIRE(hosts.run({"ip", "link", "set", end, "down"}).code == 0);
  const auto healed = time_to([&] { return run_qdiscs(hosts, 0).empty(); });
  MESSAGE("net.bandwidth x link cut: h1 healed " << seconds(healed) << " s after the cut (lease 5 s)");
  CHECK(healed <= kLease + std::chrono::seconds(1));
  CHECK(run_qdiscs(hosts, 1) != "");  // the host the controller still reaches keeps it
  REQUIRE(hosts.run({"ip", "link", "set", end, "up"}).code == 0);
  CHECK(run_qdiscs_over_ssh(hosts, 0) == "");

  ::kill(run.proc.pid, SIGINT);
  CHECK(wait_for(run.proc, std::chrono::milliseconds(60000)) == 130);
  for (int i = 0; i < 2; ++i) {
    CHECK(run_qdiscs_over_ssh(hosts, i) == "");
    CHECK(host_state_over_ssh(hosts, i, run.run_id) == "---\n0\n");
  }
}
