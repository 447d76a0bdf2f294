// Validation of [[fault]]s (validate_faults.cpp): targets, durations, schedules, and
// the checks each kind adds through its descriptor.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "validate_fixture.hpp"

using namespace faultline;
using namespace faultline::validate_fixture;

TEST_CASE("validate: a fault target must be a declared service") {
  const std::string text = kServices + "[[fault]]\nkind = \"process.kill\"\ntarget = \"rediss\"\n";
  const auto ds = check(text);
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "fault target 'rediss' is not a declared service");
  CHECK(ds[0].hint == "did you mean 'redis'?");
  check_at(ds[0], value_of(text, "target = \"rediss\""));

  const auto far = check(kServices + "[[fault]]\nkind = \"process.restart\"\ntarget = \"postgres\"\n");
  CHECK(diag(far, "postgres").hint == "declared services: 'redis'");
  const auto none = check("name = \"v\"\n[[fault]]\nkind = \"process.pause\"\ntarget = \"x\"\nduration = \"1s\"\n");
  CHECK(diag(none, "'x'").hint == "no [[service]] is declared");
}

TEST_CASE("validate: process faults need a target, exec faults an apply command") {
  const std::string text = kServices + "[[fault]]\nkind = \"process.kill\"\n[[fault]]\nkind = \"exec\"\n";
  const auto ds = check(text);
  REQUIRE(ds.size() == 2);
  check_at(diag(ds, "'target'"), where_is(text, "[[fault]]"));
  CHECK(diag(ds, "'target'").message.rfind("missing required key 'target' in fault 'process.kill'", 0) == 0);
  check_at(diag(ds, "'apply'"), where_is(text, "[[fault]]", 2));
}

TEST_CASE("validate: a pause needs a duration") {
  const std::string text = kServices + "[[fault]]\nkind = \"process.pause\"\ntarget = \"redis\"\n";
  const auto ds = check(text);
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message.rfind("missing required key 'duration' in fault 'process.pause'", 0) == 0);
  check_at(ds[0], where_is(text, "[[fault]]"));
}

TEST_CASE("validate: a window must not end before it starts") {
  const std::string text = kServices + "[[fault]]\nkind = \"process.kill\"\ntarget = \"redis\"\nat = [\"3s\", \"1s\"]\n";
  const auto ds = check(text);
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "the 'at' window [3s, 1s] starts after it ends");
  check_at(ds[0], value_of(text, "at = [\"3s\""));
}

TEST_CASE("validate: repeat needs every, and every must exceed the duration") {
  const std::string text = kServices + R"([[fault]]
kind = "process.kill"
target = "redis"
repeat = 3
[[fault]]
kind = "process.pause"
target = "redis"
duration = "2s"
repeat = 2
every = "2s"
[[fault]]
kind = "exec"
apply = "true"
duration = "3s"
every = "1s"
)";
  const auto ds = check(text);
  REQUIRE(ds.size() == 3);
  const auto& every = diag(ds, "missing required key 'every'");
  check_at(every, where_is(text, "[[fault]]"));
  CHECK(every.message.find("'repeat' = 3") != std::string::npos);
  const auto& equal = diag(ds, "'every' (2s) must be longer than 'duration' (2s)");
  check_at(equal, value_of(text, "every = \"2s\""));
  check_at(diag(ds, "'every' (1s) must be longer than 'duration' (3s)"), value_of(text, "every = \"1s\""));
}

TEST_CASE("validate: a schedule more than 100 years long is refused, before it can overflow the clock") {
  // (repeat - 1) x every overflows 64-bit nanoseconds: before this check,
  // schedule_iteration computed it with signed overflow (undefined), and a
  // long but representable offset overflowed when added to the clock.
  const std::string text = kServices + R"([[fault]]
kind = "process.kill"
target = "redis"
repeat = 100000
every = "100000h"
[[fault]]
kind = "process.kill"
target = "redis"
at = "900000h"
[[fault]]
kind = "process.kill"
target = "redis"
at = "800000h"
repeat = 2
every = "1h"
)";
  const auto ds = check(text);
  REQUIRE(ds.size() == 2);
  CHECK(ds[0].message.find("would end more than 100 years into the iteration") != std::string::npos);
  check_at(ds[0], value_of(text, "repeat = 100000"));
  CHECK(ds[0].hint == "lower 'at', 'repeat', 'every' or 'duration'");
  CHECK(ds[1].message.find("would end more than 100 years into the iteration") != std::string::npos);
  check_at(ds[1], value_of(text, "at = \"900000h\""));
}

TEST_CASE("validate: network faults need a declared link as target, and a duration") {
  const std::string text = kPair + R"(
[[fault]]
kind = "net.latency"
latency = "1ms"
duration = "1s"
[[fault]]
kind = "net.reset"
target = "primary"
duration = "1s"
[[fault]]
kind = "net.blackhole"
target = "repl"
[[fault]]
kind = "net.slicer"
target = "repl"
size = 4
size_variation = 4
duration = "1s"
)";
  const auto ds = check(text);
  REQUIRE(ds.size() == 4);
  const auto& missing = diag(ds, "missing required key 'target'");
  CHECK(missing.message == "missing required key 'target' in fault 'net.latency': a net.latency fault acts on a link");
  CHECK(missing.hint == "declared links: 'repl'");
  const auto& service = diag(ds, "fault target 'primary' is not a declared link");
  CHECK(service.hint == "declared links: 'repl'");
  check_at(service, value_of(text, "target = \"primary\""));
  diag(ds, "missing required key 'duration' in fault 'net.blackhole'");
  const auto& slice = diag(ds, "'size_variation' (4) must be less than 'size' (4)");
  check_at(slice, value_of(text, "size_variation = 4"));

  const auto none = check("name = \"v\"\n[[fault]]\nkind = \"net.reset\"\ntarget = \"x\"\nduration = \"1s\"\n");
  CHECK(diag(none, "'x'").hint == "no [[link]] is declared; a net.* fault acts on a link's traffic");
}

TEST_CASE("validate: a partition says how, names declared services once, and cuts a link") {
  auto partition = [&](const std::string& keys) {
    return check(kPair + "[[fault]]\nname = \"split\"\nkind = \"net.partition\"\nduration = \"1s\"\n" + keys);
  };
  CHECK(diag(partition(""), "needs 'groups', 'isolate' or 'shape'").message ==
        "fault 'split' needs 'groups', 'isolate' or 'shape' to say which services to separate");
  diag(partition("isolate = \"replica\"\nshape = \"halves\"\n"), "more than one of 'groups', 'isolate' and 'shape'");
  CHECK(diag(partition("isolate = \"replika\"\n"), "isolates unknown service 'replika'").hint ==
        "did you mean 'replica'?");
  diag(partition("groups = [[\"primary\"], [\"nobody\"]]\n"), "groups unknown service 'nobody'");
  CHECK(diag(partition("groups = [[\"primary\"], [\"replica\", \"primary\"]]\n"), "in two groups").message ==
        "service 'primary' is in two groups of fault 'split' (groups 1 and 2)");
  diag(partition("groups = [[\"primary\", \"replica\"], []]\n"), "at least two non-empty groups");
  CHECK(diag(partition("shape = \"ring\"\n"), "needs at least 3 services").message ==
        "shape \"ring\" needs at least 3 services, not 2");
  const auto cuts_nothing = check(kPair + "[[service]]\nname = \"tool\"\ncommand = \"true\"\n"
                                          "[[fault]]\nname = \"split\"\nkind = \"net.partition\"\nduration = \"1s\"\n"
                                          "groups = [[\"primary\", \"replica\"], [\"tool\"]]\n");
  REQUIRE(cuts_nothing.size() == 1);
  CHECK(cuts_nothing[0].message == "fault 'split' cuts no link: no [[link]] connects services that it separates");
  // One way, either way round, still cuts the link: upstream or downstream.
  CHECK(partition("groups = [[\"primary\"], [\"replica\"]]\ndirection = \"one\"\n").empty());
  CHECK(partition("groups = [[\"replica\"], [\"primary\"]]\ndirection = \"one\"\n").empty());
  CHECK(partition("shape = \"halves\"\n").empty());
}

TEST_CASE("validate: ring partitions have no direction 'one'") {
  const std::string three = R"(name = "v"
[[service]]
name = "a"
command = "true"
ports = ["a"]
[[service]]
name = "b"
command = "true"
[[service]]
name = "c"
command = "true"
[[link]]
name = "ca"
to = "127.0.0.1:{port.a}"
from = ["c"]
[[fault]]
kind = "net.partition"
shape = "ring"
direction = "one"
duration = "1s"
)";
  const auto ds = check(three);
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "direction \"one\" does not apply to shape \"ring\", which has no first group");
}
