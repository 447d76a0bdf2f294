#include <doctest/doctest.h>

#include "scenario/network_plan.hpp"
#include "scenario_fixtures.hpp"

using namespace faultline;
using faultline::testing::three_services;

TEST_CASE("network plan: subnets parse with their prefix, and bad ones say why") {
  auto s = parse_subnet("10.77.0.0/24");
  REQUIRE(s);
  CHECK(s->text() == "10.77.0.0/24");
  CHECK(s->usable() == 254);
  CHECK(s->address(1) == "10.77.0.1");
  CHECK(parse_subnet("192.168.8.0/30")->usable() == 2);
  std::string why;
  CHECK_FALSE(parse_subnet("10.77.0.1/24", &why));
  CHECK(why.find("host bits") != std::string::npos);
  CHECK_FALSE(parse_subnet("10.77.0.0", &why));
  CHECK_FALSE(parse_subnet("10.77.0.0/31", &why));
  CHECK(why.find("8 to 30") != std::string::npos);
  CHECK_FALSE(parse_subnet("10.777.0.0/24", &why));
  CHECK(why.find("not an IPv4 address") != std::string::npos);
}

TEST_CASE("network plan: names derive from the run id and interface names fit 15 characters") {
  Scenario s = three_services();
  s.services[2].host = "primary";  // shares the primary's host
  const NetworkPlan p = plan_network(s, "20261122-120102-3fa2c1");
  CHECK(p.tag == "3fa2c1");
  CHECK(p.hub == "fl-3fa2c1");
  CHECK(p.hub_address == "10.77.0.1");
  REQUIRE(p.hosts.size() == 2);
  CHECK(p.hosts[0].name == "primary");
  CHECK(p.hosts[0].services == std::vector<std::string>{"primary", "sentinel"});
  CHECK(p.hosts[0].netns == "fl-3fa2c1-primary");
  CHECK(p.hosts[0].address == "10.77.0.2");
  CHECK(p.hosts[1].address == "10.77.0.3");
  CHECK(p.host_of("sentinel") == &p.hosts[0]);
  CHECK(p.host_of("nobody") == nullptr);
  for (const auto& h : p.hosts) {
    CHECK(h.hub_if.size() <= 15);
    CHECK(h.host_if.size() <= 15);
    CHECK(h.hub_if.find("3fa2c1") != std::string::npos);
  }
  s.subnet = "10.1.2.0/30";  // 2 addresses: the hub and one host, not two
  CHECK_THROWS_AS(plan_network(s, "x-000001"), NetworkError);
}
