// Choosing a dynamic target (target_select.cpp): with real /bin/sh commands,
// the one candidate whose command exits 0 is chosen, with its own
// {service.name} and {service.addr}; none or several is a FaultError naming
// every candidate's result; a stop request ends a command at once.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "async_support.hpp"
#include "fault_injectors/injector.hpp"
#include "run/target_select.hpp"

using namespace faultline;
using faultline::testing::run_sync;

namespace {

TargetSelect select_of(const std::string& line, std::vector<std::string> among, Nanos timeout = 5s) {
  return TargetSelect{.key = "target",
                      .command = {{"/bin/sh", "-c", line}, true, {}},
                      .among = std::move(among),
                      .timeout = timeout,
                      .as = "leader",
                      .pos = {}};
}

Scenario three_on_hosts() {
  Scenario s;
  for (int i = 1; i <= 3; ++i) {
    HostSpec h;
    h.name = fmt::format("h{}", i);
    h.address = fmt::format("10.79.9.{}", i);
    s.hosts.push_back(h);
    ServiceSpec svc;
    svc.name = fmt::format("etcd{}", i);
    svc.host = h.name;
    s.services.push_back(svc);
  }
  ServiceSpec local;
  local.name = "local";
  s.services.push_back(local);
  return s;
}

}  // namespace

TEST_CASE("target select: each candidate's bindings are its name and its host's address") {
  const Scenario s = three_on_hosts();
  const auto b = candidate_bindings(s, select_of("true", {"etcd2", "local"}), nullptr);
  REQUIRE(b.size() == 2);
  CHECK(b.at("etcd2").at("service.name") == "etcd2");
  CHECK(b.at("etcd2").at("service.addr") == "10.79.9.2");
  CHECK(b.at("local").at("service.addr") == "127.0.0.1");
}

TEST_CASE("target select: the one candidate whose command exits 0, run with its own placeholders") {
  asio::io_context io;
  StopSource stop;
  const Scenario s = three_on_hosts();
  // Only the candidate at 10.79.9.2 "is the leader".
  const auto sel = select_of("test {service.addr} = 10.79.9.2 && test {service.name} = etcd2", {"etcd1", "etcd2", "etcd3"});
  auto chosen = run_sync(io, select_target(io.get_executor(), sel, candidate_bindings(s, sel, nullptr), "", stop));
  REQUIRE(chosen.has_value());
  CHECK(*chosen == "etcd2");
}

TEST_CASE("target select: none or several matching is a fault error naming each candidate's result") {
  const auto sel = select_of("is-leader", {"a", "b", "c"});
  try {
    decide_selection(sel, {{"a", 1, false, "", "not leader"}, {"b", 2, false, "", ""}, {"c", 0, true, "", ""}});
    FAIL("no error");
  } catch (const FaultError& e) {
    CHECK(std::string(e.what()) ==
          "no candidate for the dynamic target (the leader): `is-leader` succeeded for none of [a, b, c]; "
          "a: exit 1 (not leader); b: exit 2; c: timed out after 5s");
  }
  try {
    decide_selection(sel, {{"a", 0, false, "", ""}, {"b", 1, false, "", ""}, {"c", 0, false, "", ""}});
    FAIL("no error");
  } catch (const FaultError& e) {
    CHECK(std::string(e.what()).rfind("the dynamic target (the leader) is ambiguous: `is-leader` succeeded for 2 "
                                      "candidates (a, c), exactly one must; a: exit 0; b: exit 1; c: exit 0",
                                      0) == 0);
  }
  CHECK(decide_selection(sel, {{"a", 1, false, "", ""}, {"b", 0, false, "", ""}}) == "b");
  // A command that could not start never matches.
  CHECK_THROWS_AS(decide_selection(sel, {{"a", 0, false, "not found", ""}}), FaultError);

  // With real commands: every candidate fails.
  asio::io_context io;
  StopSource stop;
  Scenario s;
  const auto none = select_of("echo no leader here; exit 3", {"x", "y"});
  CHECK_THROWS_WITH_AS(run_sync(io, select_target(io.get_executor(), none, candidate_bindings(s, none, nullptr), "", stop)),
                       doctest::Contains("x: exit 3 (no leader here); y: exit 3 (no leader here)"), FaultError);
}

TEST_CASE("target select: a command over its timeout does not match; a stop request ends the choice at once") {
  asio::io_context io;
  StopSource stop;
  Scenario s;
  const auto slow = select_of("exec sleep 5", {"x"}, 100ms);
  CHECK_THROWS_WITH_AS(run_sync(io, select_target(io.get_executor(), slow, candidate_bindings(s, slow, nullptr), "", stop)),
                       doctest::Contains("x: timed out after 100ms"), FaultError);
  // A stop 100 ms into a 30 s command: nothing chosen, well before the timeout.
  const auto stuck = select_of("exec sleep 30", {"x", "y"}, 30s);
  asio::steady_timer t(io, std::chrono::milliseconds(100));
  t.async_wait([&](const boost::system::error_code&) { stop.request(); });
  const auto t0 = SteadyClock::now();
  auto chosen = run_sync(io, select_target(io.get_executor(), stuck, candidate_bindings(s, stuck, nullptr), "", stop));
  CHECK_FALSE(chosen.has_value());
  CHECK(SteadyClock::now() - t0 < std::chrono::seconds(5));
}
