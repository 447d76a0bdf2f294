// Validation of whole scenarios (validate.cpp): names, dependencies, probes,
// links, namespaces, and every problem at once, in file order.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "scenario/starter.hpp"
#include "validate_fixture.hpp"

using namespace faultline;
using namespace faultline::validate_fixture;

TEST_CASE("validate: a sound scenario has no problems") {
  CHECK(check(kServices + R"(
[[probe]]
name = "ping"
kind = "exec"
command = ["redis-cli", "-p", "{port.redis}", "ping"]
expect_stdout = "PONG"
[[fault]]
kind = "process.kill"
target = "redis"
at = ["1s", "1s"]
repeat = 2
every = "1s"
[[fault]]
kind = "process.pause"
target = "redis"
duration = "1s"
repeat = 2
every = "1500ms"
)")
            .empty());
}

TEST_CASE("validate: depends_on must name declared services") {
  const std::string text = kServices + "[[service]]\nname = \"app\"\ncommand = \"app\"\ndepends_on = [\"redis\", \"rdis\"]\n";
  const auto ds = check(text);
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "service 'app' depends on unknown service 'rdis'");
  CHECK(ds[0].hint == "did you mean 'redis'?");
  check_at(ds[0], where_is(text, "\"rdis\""));
}

TEST_CASE("validate: depends_on cycles are named") {
  const std::string text = R"(name = "v"
[[service]]
name = "a"
command = "a"
depends_on = ["b"]
[[service]]
name = "b"
command = "b"
depends_on = ["c"]
[[service]]
name = "c"
command = "c"
depends_on = ["a"]
[[service]]
name = "d"
command = "d"
depends_on = ["d"]
[[service]]
name = "e"
command = "e"
depends_on = ["a"]
)";
  const auto ds = check(text);
  REQUIRE(ds.size() == 2);
  const auto& abc = diag(ds, "a -> b -> c -> a");
  CHECK(abc.message == "depends_on cycle: a -> b -> c -> a");
  check_at(abc, where_is(text, "\"a\"]"));  // c's dependency on a closes it
  check_at(diag(ds, "d -> d"), where_is(text, "\"d\"]"));
}

TEST_CASE("validate: names must be unique") {
  const std::string text = kServices + R"([[service]]
name = "redis"
command = "x"
ports = ["redis"]
[[probe]]
name = "p"
kind = "tcp"
port = 1
[[probe]]
name = "p"
kind = "tcp"
port = 2
[[fault]]
name = "boom"
kind = "process.kill"
target = "redis"
[[fault]]
name = "boom"
kind = "process.restart"
target = "redis"
[[verify]]
name = "check"
command = "true"
[[verify]]
name = "check"
command = "true"
)";
  const auto ds = check(text);
  INFO(all_messages(ds));
  CHECK(ds.size() == 5);
  const auto& svc = diag(ds, "duplicate service name 'redis'");
  check_at(svc, value_of(text, "name = \"redis\"", 2));
  CHECK(svc.hint == "first declared at line 3");
  check_at(diag(ds, "port name 'redis' is declared twice"), where_is(text, "\"redis\"]", 2));
  check_at(diag(ds, "duplicate probe name 'p'"), value_of(text, "name = \"p\"", 2));
  check_at(diag(ds, "duplicate fault name 'boom'"), value_of(text, "name = \"boom\"", 2));
  check_at(diag(ds, "duplicate verify step name 'check'"), value_of(text, "name = \"check\"", 2));
}

TEST_CASE("validate: default fault names never collide with each other") {
  const auto ds = check(kServices + R"(
[[fault]]
kind = "process.kill"
target = "redis"
[[fault]]
kind = "process.kill"
target = "redis"
[[fault]]
kind = "process.kill"
target = "redis"
)");
  CHECK(ds.empty());
}

TEST_CASE("validate: backoff_max must not be below backoff") {
  const std::string text = kServices + "backoff = \"1s\"\nbackoff_max = \"500ms\"\n";
  const auto ds = check(text);
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "'backoff_max' (500ms) must be at least 'backoff' (1s)");
  check_at(ds[0], value_of(text, "backoff_max = \"500ms\""));
}

TEST_CASE("validate: probes need their kind's required keys") {
  const std::string text = kServices + R"(ready = { kind = "http" }
[[probe]]
name = "t"
kind = "tcp"
[[probe]]
name = "e"
kind = "exec"
)";
  const auto ds = check(text);
  REQUIRE(ds.size() == 3);
  check_at(diag(ds, "'port' in probe 't'"), where_is(text, "[[probe]]"));
  check_at(diag(ds, "'command' in probe 'e'"), where_is(text, "[[probe]]", 2));
  check_at(diag(ds, "ready probe of service 'redis'"), where_is(text, "{ kind"));
}

TEST_CASE("validate: every semantic problem is collected, in file order") {
  const std::string text = kServices + R"(depends_on = ["ghost"]
[[probe]]
name = "p"
kind = "tcp"
port = "{port.x}"
[[fault]]
kind = "process.kill"
target = "nobody"
at = ["2s", "1s"]
)";
  const auto ds = check(text);
  INFO(all_messages(ds));
  REQUIRE(ds.size() == 4);
  CHECK(ds[0].message.find("ghost") != std::string::npos);
  CHECK(ds[1].message.find("{port.x}") != std::string::npos);
  CHECK(ds[2].message.find("nobody") != std::string::npos);
  CHECK(ds[3].message.find("window") != std::string::npos);
  for (std::size_t i = 1; i < ds.size(); ++i) CHECK(ds[i - 1].pos.line < ds[i].pos.line);
}

TEST_CASE("validate: a scenario built in code falls back to the tables' positions") {
  Scenario s;
  s.file = "built.toml";
  s.name = "built";
  FaultSpec f;
  f.kind = "process.kill";
  f.name = "k";
  f.target = "nobody";
  f.pos = {"", 7, 1};
  s.faults.push_back(f);
  const auto ds = validate(s);
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].pos.file == "built.toml");
  CHECK(ds[0].pos.line == 7);
}

TEST_CASE("validate: start_order puts dependencies first, declaration order otherwise") {
  auto names = [](const Scenario& s) {
    std::vector<std::string> out;
    for (const auto* svc : start_order(s)) out.push_back(svc->name);
    return out;
  };
  auto scenario = [](std::vector<std::pair<std::string, std::vector<std::string>>> spec) {
    Scenario s;
    for (auto& [name, deps] : spec) {
      ServiceSpec svc;
      svc.name = name;
      svc.depends_on = deps;
      s.services.push_back(svc);
    }
    return s;
  };
  CHECK(names(scenario({{"a", {}}, {"b", {}}, {"c", {}}})) == std::vector<std::string>{"a", "b", "c"});
  CHECK(names(scenario({{"web", {"db"}}, {"db", {}}, {"cache", {}}})) ==
        std::vector<std::string>{"db", "web", "cache"});
  CHECK(names(scenario({{"top", {"left", "right"}}, {"left", {"base"}}, {"right", {"base"}}, {"base", {}}})) ==
        std::vector<std::string>{"base", "left", "right", "top"});
  CHECK(names(scenario({{"x", {"z"}}, {"y", {}}, {"z", {"y"}}})) == std::vector<std::string>{"y", "z", "x"});
  CHECK(names(scenario({})).empty());
  // Pointers refer to the scenario's own services.
  const Scenario s = scenario({{"b", {"a"}}, {"a", {}}});
  CHECK(start_order(s).front() == &s.services[1]);
}

TEST_CASE("validate: the starter scenario parses and validates") {
  const std::string text = starter_scenario("demo");
  auto r = parse_scenario(text, "demo.toml");
  INFO(all_messages(r.diagnostics));
  REQUIRE(r.scenario.has_value());
  CHECK(validate(*r.scenario).empty());
  const Scenario& s = *r.scenario;
  CHECK(s.name == "demo");
  REQUIRE(s.services.size() == 1);
  CHECK(s.services[0].name == "redis");
  CHECK(s.services[0].command.argv.front() == "redis-server");
  CHECK(s.services[0].command.display() ==
        "redis-server --port {port.redis} --dir {service.dir} --appendonly yes --save ''");
  CHECK(s.services[0].restart == RestartPolicy::on_failure);
  REQUIRE(s.services[0].ready.has_value());
  REQUIRE(s.probes.size() == 2);
  CHECK(s.probes[0].kind == ProbeKind::tcp);
  CHECK(s.probes[1].kind == ProbeKind::exec);
  CHECK(s.probes[1].command.argv.front() == "redis-cli");
  REQUIRE(s.faults.size() == 1);
  CHECK(s.faults[0].kind == "process.kill");
  CHECK(s.verify.size() == 1);
  CHECK(s.thresholds.rto.has_value());
  // Every section is explained.
  CHECK(text.find("# ") != std::string::npos);
  CHECK(text.find("[[service]]\n") != std::string::npos);
  CHECK(text.find("[thresholds]\n") != std::string::npos);
}

TEST_CASE("validate: the starter scenario survives any name") {
  for (const std::string name : {"my drill", "quote \" and \\ backslash", "new\nline", "{port.redis}", ""}) {
    auto r = parse_scenario(starter_scenario(name), "x.toml");
    INFO("name: ", name, "\n", all_messages(r.diagnostics));
    if (name.empty()) {
      // An empty name is the user's mistake and is reported as such.
      REQUIRE(r.diagnostics.size() == 1);
      CHECK(r.diagnostics[0].message == "'name' must not be empty");
      continue;
    }
    REQUIRE(r.scenario.has_value());
    CHECK(r.scenario->name == name);
  }
}

// ---------------------------------------------------------------- links and network faults


TEST_CASE("validate: a sound scenario with links and network faults has no problems") {
  CHECK(check(kPair + R"(
[[probe]]
name = "through"
kind = "tcp"
port = "{link.repl}"
[[fault]]
kind = "net.latency"
target = "repl"
latency = "10ms"
duration = "1s"
[[fault]]
kind = "net.partition"
isolate = "replica"
duration = "1s"
)")
            .empty());
}

TEST_CASE("validate: links name declared services, loopback hosts and unique names") {
  const std::string text = kPair + R"(
[[link]]
name = "repl"
to = "10.0.0.7:6379"
service = "primry"
from = ["replika", "primary"]
[[link]]
name = "web"
to = "example.com:80"
)";
  const auto ds = check(text);
  const auto& dup = diag(ds, "duplicate link name 'repl'");
  check_at(dup, value_of(text, "name = \"repl\"", 2));
  const auto& host = diag(ds, "forwards to '10.0.0.7'");
  CHECK(host.message == "link 'repl' forwards to '10.0.0.7', which is not on this host");
  CHECK(host.hint == "faultline only proxies to loopback addresses: 127.x.x.x, [::1] or localhost");
  check_at(host, value_of(text, "to = \"10.0.0.7:6379\""));
  diag(ds, "forwards to 'example.com'");
  CHECK(diag(ds, "unknown service 'primry'").hint == "did you mean 'primary'?");
  const auto& from = diag(ds, "is used from unknown service 'replika'");
  CHECK(from.hint == "did you mean 'replica'?");
  CHECK(from.pos.line == where_is(text, "from = [\"replika\"").line);
  CHECK(ds.size() == 5);
  CHECK(check(kPair + "[[link]]\nname = \"six\"\nto = \"[::1]:1\"\n[[link]]\nname = \"l\"\nto = \"localhost:1\"\n"
                      "[[link]]\nname = \"l2\"\nto = \"127.1.2.3:1\"\n")
            .empty());
}

TEST_CASE("validate: guards are checked like probes, with unique names") {
  const std::string text = kServices + R"(
[[guard]]
name = "g"
kind = "tcp"
port = "{port.redis}"
[[guard]]
name = "g"
kind = "exec"
command = "true"
[[guard]]
name = "h"
kind = "tcp"
port = "{port.nope}"
)";
  const auto ds = check(text);
  CHECK(diag(ds, "guard name").pos.line == where_is(text, "name = \"g\"", 2).line);
  CHECK(diag(ds, "port.nope").pos.line > 0);
}

namespace {

const std::string kHosts = R"(name = "ns"
network = "namespaces"
[[service]]
name = "a"
command = "true"
[[service]]
name = "b"
command = "true"
)";

}  // namespace

TEST_CASE("validate: network = namespaces takes {addr.SERVICE}, hosts, from, and the three kernel kinds") {
  CHECK(check(kHosts + "[[probe]]\nname = \"p\"\nkind = \"tcp\"\nhost = \"{addr.b}\"\nport = 1\nfrom = \"a\"\n"
                       "[[fault]]\nkind = \"net.partition\"\nisolate = \"a\"\nmode = \"reject\"\nduration = \"1s\"\n"
                       "[[fault]]\nkind = \"net.bandwidth\"\ntarget = \"b\"\nrate = \"1MB/s\"\nduration = \"1s\"\n"
                       "[[fault]]\nkind = \"net.latency\"\ntarget = \"b\"\nlatency = \"5ms\"\nduration = \"1s\"\n"
                       "[[verify]]\ncommand = \"true\"\nfrom = \"b\"\n")
            .empty());
  const std::string typo = kHosts + "[[probe]]\nname = \"p\"\nkind = \"tcp\"\nhost = \"{addr.bb}\"\nport = 1\n";
  const auto d = diag(check(typo), "names a service that is not declared");
  CHECK(d.hint == "did you mean '{addr.b}'?");
  check_at(d, where_is(typo, "\"{addr.bb}\""));
}

TEST_CASE("validate: namespace mode refuses links, kinds without a kernel version, toxicity and unknown 'from'") {
  const std::string text = "subnet = \"10.1.0.0/24\"\n" + kHosts +
                           "[[link]]\nname = \"l\"\nto = \"127.0.0.1:1\"\n"
                                    "[[fault]]\nkind = \"net.reset\"\ntarget = \"l\"\nduration = \"1s\"\n"
                                    "[[fault]]\nkind = \"net.bandwidth\"\ntarget = \"l\"\nrate = \"1MB/s\"\ntoxicity = 0.5\nduration = \"1s\"\n"
                                    "[[setup]]\ncommand = \"true\"\nfrom = \"c\"\n";
  const auto ds = check(text);
  CHECK(diag(ds, "cannot be used with network = \"namespaces\"").hint.find("{addr.SERVICE}") != std::string::npos);
  CHECK(diag(ds, "has no kernel version").hint.find("proxied links") != std::string::npos);
  diag(ds, "fault target 'l' is not a declared service");
  diag(ds, "'toxicity' does not apply");
  diag(ds, "setup step runs from unknown service 'c'");
  CHECK(ds.size() == 5);
}

TEST_CASE("validate: a namespace subnet must be a range with room for every host; shared hosts cannot be split") {
  const std::string bad = "subnet = \"10.1.0.1/24\"\n" + kHosts;
  check_at(diag(check(bad), "'subnet'"), where_is(bad, "\"10.1.0.1/24\""));
  diag(check("subnet = \"10.1.0.0/30\"\n" + kHosts), "the run needs 3");
  const std::string shared = R"(name = "ns"
network = "namespaces"
[[service]]
name = "a"
command = "true"
host = "box"
[[service]]
name = "b"
command = "true"
host = "box"
[[fault]]
kind = "net.partition"
isolate = "a"
duration = "1s"
)";
  const auto ds = check(shared);
  diag(ds, "share host 'box'");
  diag(ds, "separates no two hosts");
}

TEST_CASE("validate: host, from, subnet and {addr.X} need network = namespaces") {
  const std::string text = R"(name = "links"
subnet = "10.1.0.0/24"
[[service]]
name = "a"
command = "echo {addr.a}"
host = "box"
[[probe]]
name = "p"
kind = "exec"
command = "true"
from = "a"
)";
  const auto ds = check(text);
  diag(ds, "'subnet' only applies");
  diag(ds, "'host' only applies");
  diag(ds, "'from' only applies");
  CHECK(diag(ds, "'{addr.a}' is only defined with network").hint.find("127.0.0.1") != std::string::npos);
}
