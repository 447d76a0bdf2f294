// net.partition across [[host]]s (fault_injectors/host_partition.cpp), for
// real, through the faultline binary, against three ssh test hosts
// (ssh_hosts.hpp) with a small HTTP server on each:
//   - isolate h1: while applied, h2 and h3 reach each other with a real TCP
//     connection made on the host itself, h1 reaches neither and neither
//     reaches h1, and the controller still reaches all three over ssh; one
//     faultline table on each host; after the revert all reach all and no
//     faultline table is left on any host (read over ssh);
//   - mode reject with the normal revert at the end of the duration;
//   - bad input: two separated services on one host (exit 2, file:line:col);
//     a host without nft (its sshd in a mount namespace where nft is a file
//     without the execute bit): doctor says so, the run exits 3 before any
//     fault, nothing left on the hosts.
// Root only; run in CI as root.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "host_faults.hpp"
#include "ssh_hosts.hpp"

using namespace itest;
using namespace std::chrono_literals;

namespace {

/// What host i reaches among the others' port 8080: "ADDR yes|no" lines, sorted.
std::string reach_from(const SshHosts& hosts, int i) {
  std::vector<std::string> others;
  for (int k = 0; k < static_cast<int>(hosts.hosts().size()); ++k)
    if (k != i) others.push_back(hosts.host(k).address);
  HostCommand r = hosts.ssh(i, reach_script(others));
  if (r.code != 0) return "ssh failed: " + r.err;
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string expect(const SshHosts& hosts, int i, const std::vector<bool>& reach) {
  std::vector<std::string> lines;
  int n = 0;
  for (int k = 0; k < static_cast<int>(hosts.hosts().size()); ++k)
    if (k != i) lines.push_back(hosts.host(k).address + (reach[static_cast<std::size_t>(n++)] ? " yes" : " no"));
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

TEST_CASE("net.partition across hosts: h1 isolated from h2 and h3 (real TCP from each host), the controller still reaches all; after the revert all reach all, no table left") {
  SshHosts::sweep_stale();
  SshHosts hosts(3);
  TempDir dir;
  write_file(dir / "s.toml", hosts_scenario(hosts, isolate_h1("drop", "60s")));
  Result plan = itest::faultline(dir, {"plan", (dir / "s.toml").string()});
  INFO(plan.out, plan.err);
  CHECK(plan.code == 0);
  CHECK(plan.out.find("on 'h1': fault 'split': leave a guardian") != std::string::npos);
  CHECK(plan.out.find("dropping traffic to " + hosts.host(1).address + ", " + hosts.host(2).address + "; from " +
                      hosts.host(1).address + ", " + hosts.host(2).address) != std::string::npos);
  CHECK(plan.out.find("on 'h3': fault 'split'") != std::string::npos);

  Spawned run = spawn({faultline_bin(), "run", (dir / "s.toml").string(), "--out", (dir / "run").string()}, dir.path,
                      "run", {}, {"FAULTLINE_TEST_BLOCK_IN=hold"});
  REQUIRE_MESSAGE(wait_for_text(run.err, "faultline-test-hook: in hold", 60s), read_file(run.err));
  const std::string run_id(read_json(dir / "run" / "ledger.json").at("run_id").as_string());
  const auto undo = read_json(dir / "run" / "ledger.json").at("faults").as_array().back().at("undo");
  CHECK(undo.at("kind").as_string() == "command");
  CHECK(undo.at("host").as_string() == "h1, h2, h3");
  for (int i = 0; i < 3; ++i) {
    CHECK(faultline_tables(hosts, i).find("table inet faultline_") != std::string::npos);
    // Over ssh: the table, and the host's guardian (its timer and its reader).
    const std::string st = host_state_over_ssh(hosts, i, run_id);
    CHECK_MESSAGE((st.starts_with("table inet faultline_") && st.ends_with("---\n2\n")), st);
  }
  CHECK(reach_from(hosts, 0) == expect(hosts, 0, {false, false}));
  CHECK(reach_from(hosts, 1) == expect(hosts, 1, {false, true}));
  CHECK(reach_from(hosts, 2) == expect(hosts, 2, {false, true}));

  // The revert (a stop during the hold reverts every applied fault).
  ::kill(run.pid, SIGINT);
  CHECK(wait_for(run, 60000ms) == 130);
  for (int i = 0; i < 3; ++i) CHECK(host_state_over_ssh(hosts, i, run_id) == "---\n0\n");
  CHECK(reach_from(hosts, 0) == expect(hosts, 0, {true, true}));
  CHECK(reach_from(hosts, 1) == expect(hosts, 1, {true, true}));
  const auto rec = read_json(dir / "run" / "run.json");
  const auto& ev = rec.at("faults").as_array().front();
  CHECK(ev.at("kind").as_string() == "net.partition");
  CHECK(ev.at("ok").as_bool());
  CHECK(!ev.at("revert_ns").is_null());
}

TEST_CASE("net.partition across hosts, mode reject: refused at once while applied, reverted at the end of its duration") {
  SshHosts::sweep_stale();
  SshHosts hosts(3);
  TempDir dir;
  write_file(dir / "s.toml", hosts_scenario(hosts, isolate_h1("reject", "1500ms")));
  Spawned run = spawn({faultline_bin(), "run", (dir / "s.toml").string(), "--out", (dir / "run").string()}, dir.path,
                      "run", {}, {"FAULTLINE_TEST_BLOCK_IN=inject"});
  REQUIRE_MESSAGE(wait_for_text(run.err, "faultline-test-hook: in inject", 60s), read_file(run.err));
  // Refused, not timed out: the connection ends at once.
  const auto t0 = std::chrono::steady_clock::now();
  HostCommand r = hosts.ssh(1, "bash -c '</dev/tcp/" + hosts.host(0).address + "/22' 2>&1; echo rc=$?");
  CHECK(std::chrono::steady_clock::now() - t0 < 1500ms);
  CHECK(r.out.find("Connection refused") != std::string::npos);
  CHECK(r.out.find("rc=1") != std::string::npos);
  ::kill(run.pid, SIGINT);
  CHECK(wait_for(run, 60000ms) == 130);
  const std::string run_id(read_json(dir / "run" / "run.json").at("run_id").as_string());
  for (int i = 0; i < 3; ++i) CHECK(host_state_over_ssh(hosts, i, run_id) == "---\n0\n");

  // The normal way: reverted when its duration ends, the run passes.
  fs::remove_all(dir / "run");
  Result ok = itest::faultline(dir, {"run", (dir / "s.toml").string(), "--out", (dir / "run").string()});
  INFO(ok.out, ok.err);
  CHECK(ok.code == 0);
  const std::string id2(read_json(dir / "run" / "run.json").at("run_id").as_string());
  for (int i = 0; i < 3; ++i) CHECK(host_state_over_ssh(hosts, i, id2) == "---\n0\n");
  CHECK(reach_from(hosts, 0) == expect(hosts, 0, {true, true}));
}

TEST_CASE("net.partition across hosts, bad input: two separated services on one host (exit 2, file:line:col)") {
  SshHosts::sweep_stale();
  SshHosts hosts(2);
  TempDir dir;
  // Two services on h1, one on h2; isolating one of h1's cannot be split.
  std::string text = hosts_scenario(hosts, isolate_h1("drop", "1s"));
  text += "[[service]]\nname = \"other\"\nhost = \"h1\"\ncommand = \"exec sleep 600\"\n";
  write_file(dir / "s.toml", text);
  Result v = itest::faultline(dir, {"validate", (dir / "s.toml").string()});
  INFO(v.out, v.err);
  CHECK(v.code == 2);
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(text.find("[[fault]]")), '\n');
  CHECK(v.err.find(fmt::format("{}:{}:", (dir / "s.toml").string(), line)) != std::string::npos);
  CHECK(v.err.find("which share host 'h1': one host cannot be split") != std::string::npos);

}

TEST_CASE("net.partition across hosts, bad input: a host without nft: doctor says so, the run exits 3 before any fault") {
  SshHosts::sweep_stale();
  SshHosts hosts(2);
  TempDir dir;
  // h2 without nft: its sshd restarted in a mount namespace of its own
  // where /usr/sbin/nft (and so /sbin/nft) is an empty file without the
  // execute bit, as on a host where nft is not installed.
  hosts.stop_sshd(1);
  write_file(dir / "no-nft", "");
  fs::permissions(dir / "no-nft", fs::perms::owner_read | fs::perms::owner_write);
  // --propagation slave: the bind mount stays in that namespace, and
  // unmounts made outside (a concurrent file.io run's FUSE mount) reach it.
  Spawned sshd = spawn({"unshare", "-m", "--propagation", "slave", "sh", "-c",
                        "mount --bind " + (dir / "no-nft").string() + " /usr/sbin/nft && exec ip netns exec " +
                            hosts.host(1).netns + " /usr/sbin/sshd -D -e -f " + hosts.host(1).sshd_config.string()},
                       dir.path, "sshd-no-nft");
  bool up = false;
  for (int k = 0; k < 100 && !up; ++k) {
    up = hosts.ssh(1, "true").code == 0;
    if (!up) std::this_thread::sleep_for(100ms);
  }
  REQUIRE(up);
  // (Under /bin/sh, as faultline's scripts run: bash's `command -v` would
  // name a file it cannot execute.)
  CHECK(hosts.ssh(1, "sh -c 'PATH=$PATH:/usr/sbin:/sbin; command -v nft || echo none'").out == "none\n");
  const std::string good = hosts_scenario(hosts, isolate_h1("drop", "1s"));
  write_file(dir / "s.toml", good);
  const auto h2_line = 1 + std::count(good.begin(), good.begin() + static_cast<long>(good.rfind("[[host]]")), '\n');
  const std::string at = fmt::format("host 'h2' ({}:{}:", (dir / "s.toml").string(), h2_line);
  Result doc = itest::faultline(dir, {"doctor", "--hosts", (dir / "s.toml").string()});
  INFO(doc.out, doc.err);
  CHECK(doc.out.find(at) != std::string::npos);
  CHECK(doc.out.find("): nft: NO (not found: net.partition on this host is impossible)") != std::string::npos);
  Result r = itest::faultline(dir, {"run", (dir / "s.toml").string(), "--out", (dir / "run").string()});
  INFO(r.out, r.err);
  CHECK(r.code == 3);
  CHECK(r.err.find(at) != std::string::npos);
  CHECK(r.err.find("nft not found: net.partition 'split' on this host is impossible") != std::string::npos);
  REQUIRE(fs::exists(dir / "run" / "run.json"));
  const auto rec = read_json(dir / "run" / "run.json");
  CHECK(rec.at("faults").as_array().empty());
  CHECK(rec.at("service_events").as_array().empty());
  const std::string run_id(rec.at("run_id").as_string());
  CHECK(hosts.ssh(0, "ls -d /tmp/faultline-" + run_id + " 2>&1 | grep -c 'No such'").out == "1\n");
  CHECK(hosts.ssh(1, "ls -d /tmp/faultline-" + run_id + " 2>&1 | grep -c 'No such'").out == "1\n");
  ::kill(sshd.pid, SIGTERM);
  wait_for(sshd, 5000ms);
}
