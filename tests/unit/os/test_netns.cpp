#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include "netns_fixture.hpp"
#include "os/netns.hpp"
#include "scenario_fixtures.hpp"

using namespace faultline;
using faultline::testing::three_services;

TEST_CASE("netns: bring-up creates nothing outside the run's namespaces and routes only inside the subnet") {
  const NetworkPlan p = plan_network(three_services(), "run-abcdef");
  const auto cmds = bring_up_commands(p);
  for (const auto& argv : cmds) {
    const std::string line = fmt::format("{}", fmt::join(argv, " "));
    // Every command names a namespace of the run: `ip -n NS`, `ip netns add/exec NS`.
    CHECK_MESSAGE(line.find("fl-abcdef") != std::string::npos, line);
    CHECK_MESSAGE(line.find("default") == std::string::npos, line);  // no default route
  }
}

TEST_CASE("netns: the partition ruleset is one inet table with a forward chain") {
  const std::vector<AddressCut> cuts = {{"10.77.0.2", "10.77.0.3"}};
  const std::string drop = partition_ruleset("faultline_abc_1", cuts, PartitionMode::drop);
  CHECK(drop.find("add table inet faultline_abc_1") != std::string::npos);
  CHECK(drop.find("hook forward") != std::string::npos);
  CHECK(drop.find("ip saddr 10.77.0.2 ip daddr 10.77.0.3 drop") != std::string::npos);
  const std::string reject = partition_ruleset("faultline_abc_1", cuts, PartitionMode::reject);
  CHECK(reject.find("reject with tcp reset") != std::string::npos);
  CHECK(reject.find(" drop") == std::string::npos);
  CHECK(lists_table("table inet faultline_abc_1\ntable ip nat\n", "faultline_abc_1"));
  CHECK_FALSE(lists_table("table inet faultline_abc_10\n", "faultline_abc_1"));
  CHECK(partition_table("abc", 3) == "faultline_abc_3");
}

TEST_CASE("netns: partition address cuts skip services sharing a host and follow one_way") {
  Scenario s = three_services();
  const NetworkPlan p = plan_network(s, "r-000002");
  PartitionParams iso;
  iso.isolate = "primary";
  auto cuts = partition_address_cuts(iso, p);
  CHECK(cuts.size() == 4);  // primary <-> replica, primary <-> sentinel
  iso.one_way = true;
  cuts = partition_address_cuts(iso, p);
  REQUIRE(cuts.size() == 2);
  for (const auto& c : cuts) CHECK(c.from == "10.77.0.2");
  s.services[1].host = "primary";
  const NetworkPlan shared = plan_network(s, "r-000002");
  iso.one_way = false;
  CHECK(partition_address_cuts(iso, shared).size() == 2);  // only primary's host <-> sentinel
}

TEST_CASE("netns: tc commands for tbf, netem and their removal") {
  const auto tbf = tbf_argv("fl-x-a", "flxh0", 125000);  // 1 Mbit/s
  CHECK(fmt::format("{}", fmt::join(tbf, " ")) == "tc -n fl-x-a qdisc add dev flxh0 root tbf rate 1000000bit burst 1600b latency 200ms");
  LatencyParams lat;
  lat.latency = std::chrono::milliseconds(40);
  lat.jitter = std::chrono::milliseconds(5);
  lat.distribution = LatencyDistribution::normal;
  CHECK(fmt::format("{}", fmt::join(netem_argv("ns", "d", lat), " ")) ==
        "tc -n ns qdisc add dev d root netem delay 40000us 5000us distribution normal");
  CHECK(fmt::format("{}", fmt::join(qdisc_delete_argv("ns", "d"), " ")) == "tc -n ns qdisc del dev d root");
  CHECK(shows_qdisc("qdisc tbf 8001: root refcnt 2 rate 1Mbit burst 1600b lat 200ms\n", "tbf"));
  CHECK_FALSE(shows_qdisc("qdisc noqueue 0: root refcnt 2\n", "tbf"));
  CHECK(in_netns("", {"true"}) == std::vector<std::string>{"true"});
  CHECK(in_netns("fl-x", {"true"}) == std::vector<std::string>{"ip", "netns", "exec", "fl-x", "true"});
}

TEST_CASE("netns: a real network is built, hosts reach each other through the hub, and teardown leaves nothing") {
  std::string tag;
  {
    testing::NetFixture net;
    tag = net.plan.tag;
    CHECK(run_namespaces(tag).size() == 4);  // hub + a, b, c
    CHECK(net.connect(net.host("a").netns, "b") == testing::Connect::connected);
    CHECK(net.connect(net.plan.hub, "c") == testing::Connect::connected);
    // Nothing of the run in this (the host's) namespace.
    const SyncResult links = run_command_sync({"ip", "-o", "link"});
    CHECK(links.output.find("fl" + tag) == std::string::npos);
    const auto deleted = tear_down(tag);
    CHECK(deleted.size() == 4);
  }
  CHECK(run_namespaces(tag).empty());
  CHECK(run_command_sync({"ip", "-o", "link"}).output.find("fl" + tag) == std::string::npos);
}

TEST_CASE("netns: a failed bring-up deletes what it created") {
  Scenario s = three_services();
  NetworkPlan p = plan_network(s, fmt::format("f-{:06x}", static_cast<unsigned>(::getpid() + 1) & 0xffffff));
  p.hosts[1].address = "not-an-address";  // the second host's `ip addr add` fails
  tear_down(p.tag);
  CHECK_THROWS_AS(bring_up(p), NetworkError);
  CHECK(run_namespaces(p.tag).empty());
}

TEST_CASE("netns: a bring-up whose tag is taken refuses and leaves the other run's namespaces alone") {
  testing::NetFixture other;
  const NetworkPlan clash = plan_network(three_services(), "clash-" + other.plan.tag);
  REQUIRE(clash.tag == other.plan.tag);
  try {
    bring_up(clash);
    FAIL("bring_up accepted a tag in use");
  } catch (const NetworkError& e) {
    CHECK(std::string(e.what()).find("already exists") != std::string::npos);
  }
  CHECK(run_namespaces(other.plan.tag).size() == 4);
  CHECK(other.connect(other.host("a").netns, "b") == testing::Connect::connected);
}

TEST_CASE("netns: run_command_sync captures output and exit codes, and kills on timeout") {
  auto r = run_command_sync({"sh", "-c", "echo out; echo err >&2; exit 3"});
  CHECK(r.code == 3);
  CHECK(r.output.find("out") != std::string::npos);
  CHECK(r.output.find("err") != std::string::npos);
  CHECK(r.why() == "out");
  const auto t0 = std::chrono::steady_clock::now();
  r = run_command_sync({"sleep", "5"}, std::chrono::milliseconds(100));
  CHECK(r.code == -1);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  CHECK(run_command_sync({"/nonexistent/program"}).code != 0);
}
