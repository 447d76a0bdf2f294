// Dynamic targets in the scenario layer (dynamic_target.cpp): placing the
// chosen name, the plan's wording, and validation: unknown or repeated
// candidates at their own file:line:col, a link kind refused, and every
// candidate checked as if it were chosen (each diagnostic once).
#include <doctest/doctest.h>

#include <string>

#include "scenario/dynamic_target.hpp"
#include "scenario/net_params.hpp"
#include "validate_fixture.hpp"

using namespace faultline;
using namespace faultline::validate_fixture;

namespace {

const std::string kThree = R"(name = "v"
[[service]]
name = "etcd1"
command = "sleep 60"
[[service]]
name = "etcd2"
command = "sleep 60"
[[service]]
name = "etcd3"
command = "sleep 60"
[[link]]
name = "l"
to = "127.0.0.1:1"
service = "etcd1"
from = ["etcd2", "etcd3"]
)";

}  // namespace

TEST_CASE("dynamic target: the chosen name goes to target, or to a partition's isolate") {
  FaultSpec kill;
  kill.select = TargetSelect{.key = "target", .command = {}, .among = {"a", "b"}, .timeout = 5s, .as = "", .pos = {}};
  place_selected(kill, "b");
  CHECK(kill.target == "b");
  FaultSpec part;
  part.params = PartitionParams{};
  part.select = TargetSelect{.key = "isolate", .command = {}, .among = {"a", "b"}, .timeout = 5s, .as = "", .pos = {}};
  place_selected(part, "a");
  CHECK(part.target.empty());
  CHECK(part.params.get<PartitionParams>().isolate == "a");
  TargetSelect sel{.key = "target", .command = {{"/bin/sh", "-c", "is-leader {service.addr}"}, true, {}},
                   .among = {"a", "b"}, .timeout = 5s, .as = "", .pos = {}};
  CHECK(selection_text(sel) == "the first of [a, b] where `is-leader {service.addr}` succeeds, chosen at injection");
}

TEST_CASE("validate: a dynamic target that every candidate makes valid passes") {
  CHECK(check(kThree + "[[fault]]\nkind = \"process.kill\"\n"
                       "target = { select = \"test {service.name} = etcd2 && echo {service.addr}\", among = [\"etcd1\", \"etcd2\", \"etcd3\"] }\n")
            .empty());
  CHECK(check(kThree + "[[fault]]\nkind = \"net.partition\"\nduration = \"1s\"\n"
                       "isolate = { select = \"true\", among = [\"etcd1\"] }\n")
            .empty());
}

TEST_CASE("validate: unknown and repeated candidates, each at its place in 'among'") {
  const std::string text = kThree + "[[fault]]\nname = \"kill-leader\"\nkind = \"process.kill\"\n"
                                    "target = { select = \"true\", among = [\"etcd1\", \"etcd4\", \"etcd1\"] }\n";
  const auto ds = check(text);
  REQUIRE(ds.size() == 2);
  const Diagnostic unknown = diag(ds, "'etcd4' is not a declared service");
  CHECK(unknown.message == "dynamic target of fault 'kill-leader': 'etcd4' is not a declared service");
  CHECK(unknown.hint == "did you mean 'etcd1'?");
  check_at(unknown, where_is(text, "\"etcd4\""));
  check_at(diag(ds, "named twice"), where_is(text, "\"etcd1\"]"));
}

TEST_CASE("validate: a dynamic target of a link kind is refused; a candidate that makes a bad fault is reported once") {
  const std::string link = kThree + "[[fault]]\nkind = \"net.latency\"\nlatency = \"1ms\"\nduration = \"1s\"\n"
                                    "target = { select = \"true\", among = [\"etcd1\"] }\n";
  const auto ds = check(link);
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "a dynamic target chooses among services, and a net.latency fault acts on a link");
  check_at(ds[0], where_is(link, "{ select"));
  // A pause with no duration is wrong whoever is chosen: said once, not per candidate.
  const auto pause = check(kThree + "[[fault]]\nkind = \"process.pause\"\n"
                                    "target = { select = \"true\", among = [\"etcd1\", \"etcd2\"] }\n");
  REQUIRE(pause.size() == 1);
  CHECK(pause[0].message.rfind("missing required key 'duration'", 0) == 0);
  // Isolating etcd1 cuts the link; isolating nobody on it (none here) would not: each candidate is checked.
  const std::string cut = R"(name = "v"
[[service]]
name = "a"
command = "sleep 60"
[[service]]
name = "b"
command = "sleep 60"
[[service]]
name = "c"
command = "sleep 60"
[[link]]
name = "l"
to = "127.0.0.1:1"
service = "a"
from = ["b"]
[[fault]]
kind = "net.partition"
duration = "1s"
isolate = { select = "true", among = ["a", "c"] }
)";
  const auto cuts = check(cut);
  REQUIRE(cuts.size() == 1);
  CHECK(cuts[0].message.find("cuts no link") != std::string::npos);
}

TEST_CASE("validate: a select command may use the candidate's {service.name} and {service.addr}, nothing unknown") {
  const std::string text = kThree + "[[fault]]\nkind = \"process.kill\"\n"
                                    "target = { select = \"check {service.name} {service.adr}\", among = [\"etcd1\"] }\n"
                                    "[[setup]]\ncommand = \"echo {service.addr}\"\n";
  const auto ds = check(text);
  REQUIRE(ds.size() == 2);
  CHECK(diag(ds, "{service.adr}").message == "unknown placeholder '{service.adr}'");
  // Outside a select command it is no placeholder at all.
  CHECK(diag(ds, "{service.addr}").message == "unknown placeholder '{service.addr}'");
}
