// What plan says of remote process faults and exec on a host.
#include <doctest/doctest.h>

#include "fault_injectors/remote_fault_plan.hpp"
#include "scenario/scenario_parser.hpp"
#include "scenario/validate_fixture.hpp"

using namespace faultline;
using namespace faultline::validate_fixture;

namespace {

const std::string kHosts = R"(name = "v"
[[host]]
name = "h1"
address = "10.0.0.1"
[[host]]
name = "h2"
address = "10.0.0.2"
[[service]]
name = "db"
host = "h1"
command = "sleep 60"
stop_grace = "3s"
[[service]]
name = "unit"
host = "h2"
attach = { systemd = "etcd.service" }
[[service]]
name = "here"
command = "sleep 60"
)";

std::vector<std::string> plan_of(const std::string& faults) {
  auto r = parse_scenario(kHosts + faults, "v.toml");
  INFO(all_messages(r.diagnostics));
  REQUIRE(r.scenario);
  CHECK(all_messages(validate(*r.scenario)) == "");
  return remote_fault_plan(*r.scenario);
}

}  // namespace

TEST_CASE("remote fault plan: restart of a started and of an attached service, on their hosts") {
  const auto plan = plan_of(R"([[fault]]
name = "r1"
kind = "process.restart"
target = "db"
[[fault]]
name = "r2"
kind = "process.restart"
target = "unit"
[[fault]]
name = "local"
kind = "process.restart"
target = "here"
)");
  REQUIRE(plan.size() == 2);
  CHECK(plan[0] ==
        "on 'h1': fault 'r1': stop service 'db' (SIGTERM to its group, SIGKILL after 3s; its start time checked before "
        "each signal), start it again, await its readiness");
  CHECK(plan[1] ==
        "on 'h2': fault 'r2': find service 'unit' (pid and /proc start time), then, while it is still that process, "
        "restart it through its supervisor (systemctl restart etcd.service), find its new process, await its readiness");
}

TEST_CASE("remote fault plan: kill, pause, exec on a host (with and without revert)") {
  const auto plan = plan_of(R"([[fault]]
name = "k"
kind = "process.kill"
target = "db"
[[fault]]
name = "p"
kind = "process.pause"
target = "db"
duration = "1s"
[[fault]]
name = "e"
kind = "exec"
host = "h2"
apply = "touch /tmp/x"
revert = "rm -f /tmp/x"
duration = "1s"
[[fault]]
name = "e2"
kind = "exec"
host = "h1"
apply = ["logger", "drill"]
[[fault]]
name = "e3"
kind = "exec"
apply = "true"
)");
  REQUIRE(plan.size() == 6);
  CHECK(plan[0] == "on 'h1': fault 'k': find service 'db' (pid and /proc start time), then SIGKILL to its process group, "
                   "checking that start time first (one script)");
  CHECK(plan[1].starts_with("on 'h1': fault 'p': find service 'db' (pid and /proc start time), leave a guardian holding SIGCONT"));
  CHECK(plan[2] == "on 'h1': revert fault 'p': the guardian sends SIGCONT; read back running");
  CHECK(plan[3] == "on 'h2': fault 'e': leave a guardian holding `rm -f /tmp/x`, then run `touch /tmp/x` (timeout 30s)");
  CHECK(plan[4] == "on 'h2': revert fault 'e': the guardian runs `rm -f /tmp/x`");
  CHECK(plan[5] == "on 'h1': fault 'e2': run `logger drill` (timeout 30s; no revert, no guardian)");
}

TEST_CASE("remote fault plan: nothing without [[host]]") {
  auto r = parse_scenario(kServices + "[[fault]]\nkind = \"process.restart\"\ntarget = \"redis\"\n", "v.toml");
  REQUIRE(r.scenario);
  CHECK(remote_fault_plan(*r.scenario).empty());
}

TEST_CASE("remote fault plan: a partition across hosts is said in the hosts' words, not the links'") {
  const std::string text = R"(name = "v"
[[host]]
name = "h1"
address = "10.0.0.1"
[[host]]
name = "h2"
address = "10.0.0.2"
[[host]]
name = "h3"
address = "10.0.0.3"
[[service]]
name = "a"
host = "h1"
command = "sleep 600"
[[service]]
name = "b"
host = "h2"
command = "sleep 600"
[[service]]
name = "c"
host = "h3"
command = "sleep 600"
[[fault]]
name = "split"
kind = "net.partition"
duration = "1s"
isolate = "a"
)";
  auto r = parse_scenario(text, "v.toml");
  REQUIRE(r.scenario);
  CHECK(all_messages(validate(*r.scenario)) == "");
  CHECK(host_partition_text(*r.scenario, r.scenario->faults[0]) ==
        "partition isolate 'a' across hosts: on h1, h2 and h3 an nftables table dropping packets between the separated "
        "hosts' addresses (their connections hang until the heal), both directions; the controller's own traffic is "
        "not cut");
  auto local = parse_scenario(kServices + "[[fault]]\nkind = \"process.kill\"\ntarget = \"redis\"\n", "v.toml");
  REQUIRE(local.scenario);
  CHECK(host_partition_text(*local.scenario, local.scenario->faults[0]).empty());
}
