// [vars] and {var.NAME} (scenario_parser_vars.hpp), and 'env' on the tables
// that run commands, read through parse_scenario as a user's file would be.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "fault_injectors/exec_fault.hpp"
#include "scenario/scenario_parser.hpp"
#include "scenario/validate.hpp"
#include "validate_fixture.hpp"

using namespace faultline;
using faultline::diagnostic_fixture::all_messages;
using faultline::diagnostic_fixture::diag;
using faultline::diagnostic_fixture::where_is;

namespace {

const std::string kBase = R"(name = "v"

[[service]]
name = "web"
command = "sleep 100"
ports = ["http"]
)";

Scenario parsed(const std::string& text) {
  auto r = parse_scenario(text, "s.toml");
  INFO("text:\n", text, "\ndiagnostics:\n", all_messages(r.diagnostics));
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.scenario.has_value());
  return *r.scenario;
}

std::vector<Diagnostic> errors_of(const std::string& text) {
  auto r = parse_scenario(text, "s.toml");
  INFO("text:\n", text);
  CHECK_FALSE(r.scenario.has_value());
  return r.diagnostics;
}

}  // namespace

TEST_CASE("vars: {var.NAME} is replaced in every string, vars may use vars, other placeholders stay") {
  const std::string text = R"(name = "v"

[vars]
host = "127.0.0.1"
url = "http://{var.host}:{port.http}"
probe_every = "200ms"

[[service]]
name = "web"
command = ["curl", "{var.url}/x", "{{var.url}}"]
ports = ["http"]

[[probe]]
name = "up"
kind = "exec"
command = "curl -s {var.url}/health"
interval = "{var.probe_every}"
)";
  const Scenario s = parsed(text);
  REQUIRE(s.services.size() == 1);
  CHECK(s.services[0].command.argv ==
        std::vector<std::string>{"curl", "http://127.0.0.1:{port.http}/x", "{{var.url}}"});
  REQUIRE(s.probes.size() == 1);
  CHECK(s.probes[0].command.argv[2] == "curl -s http://127.0.0.1:{port.http}/health");
  CHECK(s.probes[0].interval == std::chrono::milliseconds(200));
}

TEST_CASE("vars: an unknown var is an error at its own line and column, with a did-you-mean") {
  const std::string text = kBase + R"(
[vars]
endpoint = "x"

[[probe]]
name = "up"
kind = "exec"
command = "curl {var.endpont}"
)";
  auto ds = errors_of(text);
  auto d = diag(ds, "unknown var 'endpont'");
  const auto w = where_is(text, "{var.endpont}");
  CHECK(d.pos.line == w.line);
  CHECK(d.pos.column == w.column);
  CHECK(d.hint.find("endpoint") != std::string::npos);
}

TEST_CASE("vars: a cycle is an error at every var on it; a var that is not a string is refused") {
  const std::string text = kBase + R"(
[vars]
a = "x{var.b}"
b = "{var.c}"
c = "{var.a}"
d = 5
ok = "{var.e}"
)";
  auto ds = errors_of(text);
  for (std::string name : {"a", "b", "c"}) {
    auto d = diag(ds, "var '" + name + "' refers to itself");
    CHECK(d.pos.line == where_is(text, name + " = ").line);
  }
  CHECK(diag(ds, "var 'd' must be a string").pos.line == where_is(text, "d = 5").line);
  CHECK(diag(ds, "unknown var 'e' in var 'ok'").pos.line == where_is(text, "ok = ").line);
}

TEST_CASE("vars: a var outside [vars] with no [vars] at all is an error; 'vars' must be a table") {
  auto ds = errors_of(kBase + "\n[[probe]]\nname = \"p\"\nkind = \"exec\"\ncommand = \"echo {var.x}\"\n");
  CHECK(diag(ds, "unknown var 'x'").hint.find("[vars]") != std::string::npos);
  auto ds2 = errors_of("name = \"v\"\nvars = \"x\"\n");
  CHECK(diag(ds2, "'vars'").pos.line == 2);
}

TEST_CASE("env: on exec probes, setup/verify steps, runbook steps, workloads and exec faults' commands") {
  const std::string text = kBase + R"(
[vars]
region = "eu"

[[probe]]
name = "up"
kind = "exec"
command = "true"
env = { REGION = "{var.region}", PORT = "{port.http}" }

[[setup]]
command = "true"
env = { A = "1" }

[[verify]]
command = "true"
env = { B = "2" }

[[recovery]]
command = "true"
env = { C = "3" }

[[workload]]
name = "w"
kind = "exec"
write = "true"
read = "true"
env = { D = "4" }

[[fault]]
kind = "exec"
apply = "true"
revert = "true"
env = { E = "5" }
)";
  const Scenario s = parsed(text);
  using V = std::vector<std::string>;
  // env(1) and the NAME=VALUE words go before the argv, so they hold wherever it runs.
  CHECK(s.probes[0].command.argv == V{"env", "PORT={port.http}", "REGION=eu", "/bin/sh", "-c", "true"});
  CHECK(s.probes[0].command.display() == "env PORT={port.http} REGION=eu true");
  CHECK(s.setup[0].command.argv == V{"env", "A=1", "/bin/sh", "-c", "true"});
  CHECK(s.verify[0].command.argv == V{"env", "B=2", "/bin/sh", "-c", "true"});
  CHECK(s.recovery[0].command.argv == V{"env", "C=3", "/bin/sh", "-c", "true"});
  CHECK(s.workloads[0].write.argv == V{"env", "D=4", "/bin/sh", "-c", "true"});
  CHECK(s.workloads[0].read.argv == V{"env", "D=4", "/bin/sh", "-c", "true"});
  const auto& p = s.faults[0].params.get<ExecParams>();
  CHECK(p.apply.argv == V{"env", "E=5", "/bin/sh", "-c", "true"});
  REQUIRE(p.revert.has_value());
  CHECK(p.revert->argv == V{"env", "E=5", "/bin/sh", "-c", "true"});
}

TEST_CASE("env: refused on a fault kind without commands and on a tcp probe; a non-string value is an error") {
  const std::string text = kBase + R"(
[[probe]]
name = "up"
kind = "tcp"
port = "{port.http}"
env = { A = "1" }

[[fault]]
kind = "process.kill"
target = "web"
env = { A = "1" }

[[setup]]
command = "true"
env = { N = 1, "A=B" = "x" }
)";
  auto ds = errors_of(text);
  INFO(all_messages(ds));
  int env_refusals = 0;
  for (const auto& d : ds)
    if (d.message.find("'env'") != std::string::npos) ++env_refusals;
  CHECK(env_refusals == 2);
  CHECK(all_messages(ds).find("env 'N' must be a string") != std::string::npos);
  CHECK(all_messages(ds).find("env name 'A=B' cannot be set") != std::string::npos);
}

TEST_CASE("env: an unknown placeholder in an env value is reported") {
  const Scenario s = parsed(kBase + "\n[[setup]]\ncommand = \"true\"\nenv = { A = \"{port.nope}\" }\n");
  CHECK(all_messages(validate(s)).find("port.nope") != std::string::npos);
}
