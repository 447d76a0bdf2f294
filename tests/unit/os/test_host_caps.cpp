#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "os/host_caps.hpp"
#include "os/netns.hpp"
#include "os/procfs.hpp"

using namespace faultline;

namespace {

HostCaps all_present() {
  HostCaps c;
  for (const HostCap* x : c.all()) const_cast<HostCap*>(x)->present = true;  // every one, new ones included
  c.netem.name = "netem (sch_netem)";
  c.net_admin.name = "root or CAP_NET_ADMIN";
  return c;
}

Scenario with_faults() {
  Scenario s;
  s.file = "drill.toml";
  s.network = NetworkMode::namespaces;
  for (const char* kind : {"net.partition", "net.latency", "net.bandwidth"}) {
    FaultSpec f;
    f.name = std::string(kind) + "-fault";
    f.kind = kind;
    f.pos = {"drill.toml", 10, 1};
    s.faults.push_back(f);
  }
  s.positions["network"] = {"drill.toml", 2, 11};
  return s;
}

/// Whether this process may add a network namespace (CAP_NET_ADMIN).
bool can_add_namespace() {
  if (!run_command_sync({"ip", "netns", "add", "fl-unit-can-add"}).ok()) return false;
  run_command_sync({"ip", "netns", "delete", "fl-unit-can-add"});
  return true;
}

/// The pid of a child that has exited and been reaped: a prober that is gone.
pid_t exited_pid() {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(0);
  REQUIRE(::waitpid(pid, nullptr, 0) == pid);
  return pid;
}

}  // namespace

TEST_CASE("host caps: nothing to say for proxied links or a host that has everything") {
  Scenario links = with_faults();
  links.network = NetworkMode::links;
  HostCaps none;
  CHECK(host_check(links, none).empty());
  CHECK(host_check(with_faults(), all_present()).empty());
}

TEST_CASE("host caps: a missing netem refuses only net.latency, in one line naming it and suggesting links") {
  HostCaps c = all_present();
  c.netem.present = false;
  c.netem.detail = "a netem qdisc failed: Error: Specified qdisc kind is unknown.";
  const auto d = host_check(with_faults(), c);
  REQUIRE(d.size() == 1);
  const std::string line = format_diagnostic(d[0]);
  CHECK(line.find("drill.toml:10:1") == 0);
  CHECK(line.find("net.latency") != std::string::npos);
  CHECK(line.find("sch_netem") != std::string::npos);
  CHECK(line.find("proxied links") != std::string::npos);
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("host caps: without CAP_NET_ADMIN the network key itself is refused, once") {
  HostCaps c = all_present();
  c.net_admin.present = false;
  c.net_admin.detail = "not root, no CAP_NET_ADMIN";
  const auto d = host_check(with_faults(), c);
  REQUIRE(d.size() == 1);
  CHECK(d[0].pos.line == 2);
  CHECK(d[0].message.find("CAP_NET_ADMIN") != std::string::npos);
  CHECK(d[0].hint.find("[[link]]") != std::string::npos);
}

TEST_CASE("host caps: doctor prints a row per capability and what a missing one disables") {
  HostCaps c = all_present();
  c.netem.present = false;
  c.netem.disables = "net.latency with network = \"namespaces\"";
  const std::string out = render_doctor(c);
  CHECK(out.find("netem (sch_netem)") != std::string::npos);
  CHECK(out.find("NO") != std::string::npos);
  CHECK(out.find("disables net.latency") != std::string::npos);
  CHECK(out.find("1 missing") != std::string::npos);
}

TEST_CASE("host caps: probing this host tries for real and leaves no namespace behind") {
  const HostCaps c = probe_host_caps();
  CHECK(c.pidfd.present);
  if (::geteuid() == 0) CHECK(c.mount.present);  // disk.full's tmpfs: root has CAP_SYS_ADMIN
  for (const HostCap* x : c.all()) CHECK_FALSE(x->detail.empty());
  // The probe's throwaway namespace is gone (its own: other tests' probers
  // may run meanwhile, tests/meson.build).
  CHECK(run_command_sync({"ip", "netns", "list"}).output.find("fl-probe-" + std::to_string(::getpid()) + "-") ==
        std::string::npos);
  if (c.net_admin.present) {
    CHECK(c.namespaces.present);
    CHECK(c.tbf.present);  // sch_tbf is in every kernel CI uses
  }
}

TEST_CASE("host caps: a probe namespace names its prober, and no run's namespace looks like one") {
  CHECK(probe_netns_name(4242, 987654) == "fl-probe-4242-987654");
  const auto owner = probe_netns_owner("fl-probe-4242-987654");
  REQUIRE(owner);
  CHECK(owner->first == 4242);
  CHECK(owner->second == 987654u);
  const auto legacy = probe_netns_owner("fl-probe-4242");
  REQUIRE(legacy);
  CHECK(legacy->second == 0u);
  for (const char* other : {"fl-probe-", "fl-probe--1", "fl-probe-12-", "fl-a1b2c3", "fl-a1b2c3-h1", "fl-probe-x-1"}) {
    CAPTURE(other);
    CHECK_FALSE(probe_netns_owner(other));
  }
}

TEST_CASE("host caps: a probe namespace whose prober is gone is deleted; a live prober's is kept") {
  if (!can_add_namespace()) return;  // needs CAP_NET_ADMIN
  const pid_t dead = exited_pid();
  const std::string stale = probe_netns_name(dead, 1);
  const std::string live = probe_netns_name(::getpid(), process_start_time(::getpid()).value_or(0));
  REQUIRE(run_command_sync({"ip", "netns", "add", stale}).ok());
  REQUIRE(run_command_sync({"ip", "netns", "add", live}).ok());
  // Whoever deletes the stale one (this sweep, or another test's prober
  // sweeping at the same moment), it is gone afterwards, and the live one kept.
  std::vector<std::string> failed;
  const auto removed = remove_stale_probe_namespaces(&failed);
  CHECK(failed.empty());
  CHECK(std::find(removed.begin(), removed.end(), live) == removed.end());
  CHECK_FALSE(netns_exists(stale));
  CHECK(netns_exists(live));
  run_command_sync({"ip", "netns", "delete", live});
}

TEST_CASE("host caps: two sweeps at once delete each stale probe namespace once and report no failure") {
  if (!can_add_namespace()) return;  // needs CAP_NET_ADMIN
  const pid_t dead = exited_pid();
  std::vector<std::string> stale;
  for (int i = 1; i <= 16; ++i) {
    stale.push_back(probe_netns_name(dead, static_cast<unsigned long long>(i)));
    REQUIRE(run_command_sync({"ip", "netns", "add", stale.back()}).ok());
  }
  // Two probers sweeping at the same moment (two runs starting at once): the
  // one that loses the race for a namespace finds it gone, which is not a
  // failure (`faultline cleanup` would say LEFT BEHIND and exit 4).
  std::vector<std::string> failed_a, failed_b, removed_a, removed_b;
  std::thread a([&] { removed_a = remove_stale_probe_namespaces(&failed_a); });
  removed_b = remove_stale_probe_namespaces(&failed_b);
  a.join();
  CHECK(failed_a.empty());
  CHECK(failed_b.empty());
  for (const auto& name : stale) {
    CAPTURE(name);
    CHECK_FALSE(netns_exists(name));
    const auto n = std::count(removed_a.begin(), removed_a.end(), name) + std::count(removed_b.begin(), removed_b.end(), name);
    CHECK(n <= 1);  // none: a faultline of the integration tests beside this one swept it first
    if (netns_exists(name)) run_command_sync({"ip", "netns", "delete", name});
  }
}
