#include <doctest/doctest.h>

#include "os/host_caps.hpp"
#include "os/netns.hpp"

using namespace faultline;

namespace {

HostCaps all_present() {
  HostCaps c;
  for (HostCap* x : {&c.net_admin, &c.namespaces, &c.nftables, &c.tbf, &c.netem, &c.pidfd}) x->present = true;
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
  for (const HostCap* x : c.all()) CHECK_FALSE(x->detail.empty());
  // The probe's throwaway namespace is gone.
  CHECK(run_command_sync({"ip", "netns", "list"}).output.find("fl-probe-") == std::string::npos);
  if (c.net_admin.present) {
    CHECK(c.namespaces.present);
    CHECK(c.tbf.present);  // sch_tbf is in every kernel CI uses
  }
}
