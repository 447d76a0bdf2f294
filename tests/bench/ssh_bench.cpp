// The cost of reaching hosts over OpenSSH (issue 14), on the test hosts of
// tests/integration/ssh_hosts.hpp (network namespaces with a real sshd each,
// on this machine: the network round trip is a veth, so the figures are
// ssh's own cost, the floor of what a real network adds to).
//   1. one remote action (`kill -0` of a process, and a remote kill of a
//      sleep) through the host's multiplexed connection (ssh -S), beside a
//      fresh `ssh` per action (TCP, key exchange, authentication each time);
//      and the apply of a remote net.partition on one host (the script
//      host_partition.cpp runs: one `nft` transaction creating the run's
//      table, then `nft list tables` read back), its deletion after each
//      apply not timed;
//   2. bring-up against host count (1, 5, 10, 20): the test hosts
//      themselves, then faultline's masters to all of them, opened at once.
// Root. Run on demand (N actions each, default 50; "actions": skip bring-up):
//   ninja -C build tests/bench/ssh_bench && build/tests/bench/ssh_bench [N [actions]]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "fault_injectors/host_partition.hpp"
#include "harness.hpp"
#include "os/spawn.hpp"
#include "os/ssh.hpp"
#include "ssh_hosts.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Stats {
  double median_ms = 0, p95_ms = 0, max_ms = 0;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))]; };
  return {at(0.5), at(0.95), v.back()};
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

faultline::SshTarget target(const itest::SshHosts& hosts, int i) {
  faultline::SshTarget t;
  t.name = hosts.host(i).name;
  t.address = hosts.host(i).address;
  t.user = "root";
  t.identity = hosts.client_key();
  t.known_hosts = hosts.known_hosts();
  return t;
}

void action_latency(int n) {
  itest::SshHosts hosts(1);
  faultline::ControlDir control;
  faultline::SshTarget muxed = target(hosts, 0);
  muxed.control_path = control.socket(0);
  faultline::SshMaster master(muxed, control.path() / "log");
  std::string why;
  if (!master.open(10s, why)) throw std::runtime_error("master: " + why);
  const faultline::SshShell through(muxed), fresh(target(hosts, 0));
  auto measure = [&](const faultline::SshShell& sh, const std::string& script, const std::string& after = "") {
    std::vector<double> v;
    for (int i = 0; i < n; ++i) {
      const auto t0 = Clock::now();
      auto r = faultline::run_sync(sh.argv(script), 20s);
      if (!r.status.success()) throw std::runtime_error("remote action failed: " + r.output);
      v.push_back(ms_since(t0));
      if (!after.empty() && !faultline::run_sync(through.argv(after), 20s).status.success())
        throw std::runtime_error("undoing the remote action failed");
    }
    return stats(v);
  };
  // A long-lived process on the host to probe and, per action, a sleep to kill.
  auto r = faultline::run_sync(through.argv("setsid sleep 600 >/dev/null 2>&1 & echo $!"), 10s);
  const std::string pid = r.output.substr(0, r.output.find('\n'));
  const std::string kill0 = "kill -0 " + pid;
  const std::string kill_sleep = "sleep 600 & p=$!; kill -9 $p; wait $p 2>/dev/null; true";
  fmt::print("remote action latency, {} actions each (ms: median / p95 / max)\n", n);
  for (const auto& [label, script] : {std::pair<const char*, std::string>{"kill -0 PID", kill0}, {"kill a sleep", kill_sleep}}) {
    const Stats m = measure(through, script), f = measure(fresh, script);
    fmt::print("  {:<14} multiplexed {:7.2f} / {:7.2f} / {:7.2f}   fresh ssh {:7.2f} / {:7.2f} / {:7.2f}\n", label,
               m.median_ms, m.p95_ms, m.max_ms, f.median_ms, f.p95_ms, f.max_ms);
  }
  // A partition's apply on one host: its table cuts a documentation address (no traffic is touched).
  const std::string table = "faultline_bench_1";
  const faultline::HostCut cut{hosts.host(0).address, {"192.0.2.1"}, {"192.0.2.1"}};
  const std::string apply =
      faultline::host_apply_script(table, faultline::host_partition_ruleset(table, cut, faultline::PartitionMode::drop), false);
  const std::string undo = faultline::host_revert_script(table, false);
  const Stats m = measure(through, apply, undo), f = measure(fresh, apply, undo);
  fmt::print("  {:<14} multiplexed {:7.2f} / {:7.2f} / {:7.2f}   fresh ssh {:7.2f} / {:7.2f} / {:7.2f}\n", "partition apply",
             m.median_ms, m.p95_ms, m.max_ms, f.median_ms, f.p95_ms, f.max_ms);
  faultline::run_sync(through.argv("kill -9 " + pid), 10s);
  master.close();
}

void bring_up(int count) {
  const auto t0 = Clock::now();
  itest::SshHosts hosts(count);
  const double fixture_ms = ms_since(t0);
  faultline::ControlDir control;
  std::vector<std::unique_ptr<faultline::SshMaster>> masters;
  const auto t1 = Clock::now();
  for (int i = 0; i < count; ++i) {
    auto t = target(hosts, i);
    t.control_path = control.socket(static_cast<std::size_t>(i));
    masters.push_back(std::make_unique<faultline::SshMaster>(t, control.path() / ("log" + std::to_string(i))));
    std::string why;
    masters.back()->launch(why);
  }
  for (bool pending = true; pending;) {
    pending = false;
    for (auto& m : masters) {
      std::string why;
      const auto st = m->poll(why);
      if (st == faultline::SshMaster::State::failed) throw std::runtime_error("master: " + why);
      pending = pending || st == faultline::SshMaster::State::connecting;
    }
    if (pending) std::this_thread::sleep_for(5ms);
  }
  const double connect_ms = ms_since(t1);
  const auto t2 = Clock::now();
  masters.clear();
  hosts.teardown();
  const double down_ms = ms_since(t2);
  fmt::print("  {:>2} host(s): test hosts up {:8.1f} ms; every master connected {:7.1f} ms; closed and torn down {:8.1f} ms{}\n",
             count, fixture_ms, connect_ms, down_ms, hosts.leftovers().empty() ? "" : " (LEFTOVERS)");
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 50;
  action_latency(n);
  if (argc > 2 && std::string(argv[2]) == "actions") return 0;  // the action latencies only
  fmt::print("bring-up against host count\n");
  for (int count : {1, 5, 10, 20}) bring_up(count);
  return 0;
}
