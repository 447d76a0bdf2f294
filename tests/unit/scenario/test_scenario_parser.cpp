#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "fault_injectors/exec_fault.hpp"
#include "fault_injectors/net_bandwidth.hpp"
#include "fault_injectors/net_blackhole.hpp"
#include "fault_injectors/net_reset.hpp"
#include "fault_injectors/net_slicer.hpp"
#include "fault_injectors/net_slow_close.hpp"
#include "fault_injectors/process_kill.hpp"
#include "fault_injectors/process_pause.hpp"
#include "fault_injectors/process_restart.hpp"
#include "scenario/scenario_parser.hpp"
#include "scenario/validate.hpp"
#include "validate_fixture.hpp"

using namespace faultline;
using faultline::diagnostic_fixture::all_messages;
using faultline::diagnostic_fixture::diag;
using faultline::diagnostic_fixture::Where;
using faultline::diagnostic_fixture::where_is;

namespace {

/// Parses text that must have errors and returns them.
std::vector<Diagnostic> errors_of(const std::string& text) {
  auto r = parse_scenario(text, "s.toml");
  INFO("text:\n", text);
  CHECK_FALSE(r.scenario.has_value());
  CHECK_FALSE(r.diagnostics.empty());
  return r.diagnostics;
}

/// Parses text that must be free of parse errors.
Scenario parsed(const std::string& text) {
  auto r = parse_scenario(text, "s.toml");
  INFO("text:\n", text, "\ndiagnostics:\n", all_messages(r.diagnostics));
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.scenario.has_value());
  return *r.scenario;
}

/// Checks that `d` is at `w` in file s.toml.
void check_at(const Diagnostic& d, Where w) {
  INFO("diagnostic: ", format_diagnostic(d));
  CHECK(d.pos.file == "s.toml");
  CHECK(d.pos.line == w.line);
  CHECK(d.pos.column == w.column);
}

/// `where_is` for the value after "key = " on the line holding `key_and_value`.
Where value_of(std::string_view text, std::string_view key_and_value) {
  Where w = where_is(text, key_and_value);
  const auto eq = key_and_value.find("= ");
  REQUIRE(eq != std::string_view::npos);
  w.column += static_cast<int>(eq + 2);
  return w;
}

const std::string kFull = R"(name = "full"
description = "every key"
seed = 42
iterations = 5
steady_for = "2s"
steady_timeout = "1m"
recovered_after = { samples = 4, duration = "500ms" }
watch = "3s"
give_up_after = "45s"
cool_down = "0s"

[[service]]
name = "db"
command = ["postgres", "-D", "{service.dir}", "-p", "{port.db}"]
env = { PGUSER = "test", HOME = "{service.dir}" }
workdir = "{run.dir}/db"
ports = ["db", "db-admin"]
ready = { kind = "tcp", port = "{port.db}", timeout = "200ms" }
ready_timeout = "20s"
restart = "always"
backoff = "200ms"
backoff_max = "10s"
stop_signal = "INT"
stop_grace = "0s"

[[service]]
name = "web"
command = "exec web --db {port.db} --listen {port.web}"
ports = ["web"]
depends_on = ["db"]
restart = "on-failure"
stop_signal = 15

[service.ready]
kind = "http"
port = "{port.web}"
path = "/health"
interval = "20ms"

[[probe]]
name = "web-http"
kind = "http"
host = "localhost"
port = "{port.web}"
method = "HEAD"
path = "/status"
status = [200, 204]
expect_body = "ok"
expect_body_regex = "o+k"
interval = "250ms"
timeout = "1s"

[[probe]]
name = "db-tcp"
kind = "tcp"
port = 5432
steady_state = false

[[probe]]
name = "db-query"
kind = "exec"
command = "psql -c 'select 1'"
expect_exit = 2
expect_stdout = "1"
expect_stdout_regex = "^\\s*1$"

[[fault]]
kind = "process.kill"
target = "db"
at = ["1s", "3s"]
signal = "SIGTERM"
group = false

[[fault]]
kind = "process.kill"
target = "web"
at = "500ms"
repeat = 3
every = "2s"

[[fault]]
name = "freeze"
kind = "process.pause"
target = "db"
duration = "1s"
group = false

[[fault]]
kind = "process.restart"
target = "web"

[[fault]]
kind = "exec"
apply = ["tc", "qdisc", "add"]
revert = "tc qdisc del"
duration = "2s"
timeout = "5s"

[[setup]]
command = "echo setup"

[[setup]]
name = "seed data"
command = ["seed", "{iteration}"]
timeout = "10s"
expect_exit = 3
expect_stdout = "seeded"

[[verify]]
command = "check"
expect_stdout_regex = "ok|fine"

[thresholds]
rto = "5s"
ttd = "500ms"
mttr = "2s"
max_recurrence = 0
min_availability = "99.5%"
)";

}  // namespace

TEST_CASE("parser: a full scenario round-trips into the structs") {
  const Scenario s = parsed(kFull);
  CHECK(s.file == "s.toml");
  CHECK(s.name == "full");
  CHECK(s.description == "every key");
  REQUIRE(s.seed.has_value());
  CHECK(*s.seed == 42u);
  CHECK(s.iterations == 5);
  CHECK(s.steady_for == 2s);
  CHECK(s.steady_timeout == 60s);
  CHECK(s.recovered_after.samples == 4);
  CHECK(s.recovered_after.duration == 500ms);
  CHECK(s.watch == 3s);
  CHECK(s.give_up_after == 45s);
  CHECK(s.cool_down == 0s);
  CHECK(validate(s).empty());
}

TEST_CASE("parser: services") {
  const Scenario s = parsed(kFull);
  REQUIRE(s.services.size() == 2);
  const ServiceSpec& db = s.services[0];
  CHECK(db.name == "db");
  CHECK_FALSE(db.command.shell);
  CHECK(db.command.argv == std::vector<std::string>{"postgres", "-D", "{service.dir}", "-p", "{port.db}"});
  CHECK(db.env == std::map<std::string, std::string>{{"PGUSER", "test"}, {"HOME", "{service.dir}"}});
  CHECK(db.workdir == "{run.dir}/db");
  CHECK(db.ports == std::vector<std::string>{"db", "db-admin"});
  REQUIRE(db.ready.has_value());
  CHECK(db.ready->name == "db");
  CHECK(db.ready->kind == ProbeKind::tcp);
  CHECK(db.ready->port == "{port.db}");
  CHECK(db.ready->host == "127.0.0.1");
  CHECK(db.ready->interval == 50ms);  // the ready default
  CHECK(db.ready->timeout == 200ms);
  CHECK(db.ready_timeout == 20s);
  CHECK(db.restart == RestartPolicy::always);
  CHECK(db.backoff == 200ms);
  CHECK(db.backoff_max == 10s);
  CHECK(db.stop_signal == SIGINT);
  CHECK(db.stop_grace == 0s);
  CHECK(db.depends_on.empty());

  const ServiceSpec& web = s.services[1];
  CHECK(web.command.shell);
  CHECK(web.command.argv ==
        std::vector<std::string>{"/bin/sh", "-c", "exec web --db {port.db} --listen {port.web}"});
  CHECK(web.depends_on == std::vector<std::string>{"db"});
  CHECK(web.restart == RestartPolicy::on_failure);
  CHECK(web.stop_signal == SIGTERM);
  REQUIRE(web.ready.has_value());  // written as a [service.ready] sub-table
  CHECK(web.ready->kind == ProbeKind::http);
  CHECK(web.ready->path == "/health");
  CHECK(web.ready->interval == 20ms);
  CHECK(web.ready->timeout == 1s);
}

TEST_CASE("parser: a ready probe's timeout is 1s or its interval if longer, unless it sets one") {
  // An answer slower than a short interval (a loaded machine) still means
  // the service is up.
  auto ready_of = [](const std::string& keys) {
    const Scenario s = parsed("name = \"r\"\n[[service]]\nname = \"a\"\ncommand = \"sleep 100\"\n"
                              "ready = { kind = \"exec\", command = \"true\"" + keys + " }\n"
                              "[[probe]]\nname = \"p\"\nkind = \"tcp\"\nport = 1\n");
    return *s.services.at(0).ready;
  };
  CHECK(ready_of("").timeout == 1s);
  CHECK(ready_of(", interval = \"20ms\"").timeout == 1s);
  CHECK(ready_of(", interval = \"2s\"").timeout == 2s);
  CHECK(ready_of(", interval = \"20ms\", timeout = \"30ms\"").timeout == 30ms);
  const Scenario s = parsed("name = \"r\"\n[[probe]]\nname = \"p\"\nkind = \"tcp\"\nport = 1\ninterval = \"20ms\"\n");
  CHECK(s.probes.at(0).timeout == 0ns);  // a [[probe]]'s own: the interval, as before
  CHECK(s.probes.at(0).effective_timeout() == 20ms);
}

TEST_CASE("parser: probes of every kind") {
  const Scenario s = parsed(kFull);
  REQUIRE(s.probes.size() == 3);
  const ProbeSpec& http = s.probes[0];
  CHECK(http.name == "web-http");
  CHECK(http.kind == ProbeKind::http);
  CHECK(http.host == "localhost");
  CHECK(http.port == "{port.web}");
  CHECK(http.method == "HEAD");
  CHECK(http.path == "/status");
  CHECK(http.status == std::vector<int>{200, 204});
  CHECK(http.expect_body == "ok");
  CHECK(http.expect_body_regex == "o+k");
  CHECK(http.interval == 250ms);
  CHECK(http.timeout == 1s);
  CHECK(http.steady_state);

  const ProbeSpec& tcp = s.probes[1];
  CHECK(tcp.kind == ProbeKind::tcp);
  CHECK(tcp.port == "5432");  // an integer port is stored as a string
  CHECK_FALSE(tcp.steady_state);
  CHECK(tcp.interval == 100ms);
  CHECK(tcp.timeout == 0ns);
  CHECK(tcp.effective_timeout() == 100ms);

  const ProbeSpec& exec = s.probes[2];
  CHECK(exec.kind == ProbeKind::exec);
  CHECK(exec.command.shell);
  CHECK(exec.command.argv.back() == "psql -c 'select 1'");
  CHECK(exec.expect_exit == 2);
  CHECK(exec.expect_stdout == "1");
  CHECK(exec.expect_stdout_regex == "^\\s*1$");
  CHECK_FALSE(exec.expect_body.has_value());
}

TEST_CASE("parser: faults of every kind, with default names") {
  const Scenario s = parsed(kFull);
  REQUIRE(s.faults.size() == 5);
  const FaultSpec& kill1 = s.faults[0];
  CHECK(kill1.name == "process.kill#1");  // two unnamed kills
  CHECK(kill1.kind == "process.kill");
  CHECK(kill1.target == "db");
  CHECK(kill1.at_min == 1s);
  CHECK(kill1.at_max == 3s);
  CHECK_FALSE(kill1.duration.has_value());
  CHECK(kill1.repeat == 1);
  REQUIRE(kill1.params.holds<KillParams>());
  CHECK(kill1.params.get<KillParams>().signal == SIGTERM);
  CHECK_FALSE(kill1.params.get<KillParams>().group);

  const FaultSpec& kill2 = s.faults[1];
  CHECK(kill2.name == "process.kill#2");
  CHECK(kill2.at_min == 500ms);
  CHECK(kill2.at_max == 500ms);
  CHECK(kill2.repeat == 3);
  CHECK(kill2.every == 2s);
  CHECK(kill2.params.get<KillParams>().signal == SIGKILL);
  CHECK(kill2.params.get<KillParams>().group);

  const FaultSpec& pause = s.faults[2];
  CHECK(pause.name == "freeze");
  CHECK(pause.duration == Nanos(1s));
  REQUIRE(pause.params.holds<PauseParams>());
  CHECK_FALSE(pause.params.get<PauseParams>().group);

  const FaultSpec& restart = s.faults[3];
  CHECK(restart.name == "process.restart");  // the only unnamed restart
  CHECK(restart.params.holds<RestartParams>());

  const FaultSpec& exec = s.faults[4];
  CHECK(exec.name == "exec");
  CHECK(exec.target.empty());
  CHECK(exec.duration == Nanos(2s));
  REQUIRE(exec.params.holds<ExecParams>());
  const auto& e = exec.params.get<ExecParams>();
  CHECK(e.apply.argv == std::vector<std::string>{"tc", "qdisc", "add"});
  REQUIRE(e.revert.has_value());
  CHECK(e.revert->display() == "tc qdisc del");
  CHECK(e.timeout == 5s);
}

TEST_CASE("parser: setup and verify steps, thresholds") {
  const Scenario s = parsed(kFull);
  REQUIRE(s.setup.size() == 2);
  CHECK(s.setup[0].name == "setup #1");
  CHECK(s.setup[0].timeout == 30s);
  CHECK(s.setup[0].expect_exit == 0);
  CHECK(s.setup[1].name == "seed data");
  CHECK(s.setup[1].command.argv == std::vector<std::string>{"seed", "{iteration}"});
  CHECK(s.setup[1].timeout == 10s);
  CHECK(s.setup[1].expect_exit == 3);
  CHECK(s.setup[1].expect_stdout == "seeded");
  REQUIRE(s.verify.size() == 1);
  CHECK(s.verify[0].name == "verify #1");
  CHECK(s.verify[0].expect_stdout_regex == "ok|fine");

  const Thresholds& t = s.thresholds;
  CHECK(t.rto == Nanos(5s));
  CHECK(t.ttd == Nanos(500ms));
  CHECK(t.mttr == Nanos(2s));
  CHECK(t.max_recurrence == 0);
  REQUIRE(t.min_availability.has_value());
  CHECK(*t.min_availability == doctest::Approx(99.5));
}

TEST_CASE("parser: positions of tables, commands and values") {
  const Scenario s = parsed(kFull);
  const Where svc = where_is(kFull, "[[service]]");
  CHECK(s.services[0].pos.line == svc.line);
  CHECK(s.services[0].pos.column == 1);
  CHECK(s.services[0].pos.file == "s.toml");
  const Where cmd = value_of(kFull, "command = [\"postgres\"");
  CHECK(s.services[0].command.pos.line == cmd.line);
  CHECK(s.services[0].command.pos.column == cmd.column);
  CHECK(s.thresholds.pos.line == where_is(kFull, "[thresholds]").line);
  CHECK(s.probes[1].pos.line == where_is(kFull, "[[probe]]", 2).line);
  CHECK(s.faults[2].pos.line == where_is(kFull, "[[fault]]", 3).line);
  const Where target = value_of(kFull, "target = \"web\"");
  CHECK(s.positions.at("fault[1].target").line == target.line);
  CHECK(s.positions.at("fault[1].target").column == target.column);
  CHECK(s.positions.at("service[0].ports[1]").line == where_is(kFull, "ports = [\"db\"").line);
  CHECK(s.positions.at("service[0].ports[1]").column == where_is(kFull, "\"db-admin\"").column);
  CHECK(s.positions.at("iterations").line == 4);
}

TEST_CASE("parser: defaults of a minimal scenario") {
  const Scenario s = parsed(R"(name = "min"
[[service]]
name = "a"
command = "sleep 100"
[service.ready]
kind = "exec"
command = "true"
[[probe]]
name = "p"
kind = "tcp"
port = 1
[[fault]]
kind = "process.kill"
target = "a"
[[fault]]
kind = "process.pause"
target = "a"
duration = "1s"
[[fault]]
kind = "exec"
apply = "true"
[[verify]]
command = "true"
[[verify]]
command = "true"
)");
  CHECK(s.description.empty());
  CHECK_FALSE(s.seed.has_value());
  CHECK(s.iterations == 1);
  CHECK(s.steady_for == 1s);
  CHECK(s.steady_timeout == 30s);
  CHECK(s.recovered_after.samples == 3);
  CHECK(s.recovered_after.duration == 0ns);
  CHECK(s.watch == 2s);
  CHECK(s.give_up_after == 30s);
  CHECK(s.cool_down == 1s);

  const ServiceSpec& a = s.services.at(0);
  CHECK(a.env.empty());
  CHECK(a.workdir.empty());
  CHECK(a.ports.empty());
  CHECK(a.ready_timeout == 10s);
  CHECK(a.restart == RestartPolicy::never);
  CHECK(a.backoff == 100ms);
  CHECK(a.backoff_max == 5s);
  CHECK(a.stop_signal == SIGTERM);
  CHECK(a.stop_grace == 5s);
  REQUIRE(a.ready.has_value());
  CHECK(a.ready->interval == 50ms);
  CHECK(a.ready->timeout == 1s);  // not the interval: see "parser: a ready probe's timeout..."
  CHECK(a.ready->expect_exit == 0);

  const ProbeSpec& p = s.probes.at(0);
  CHECK(p.host == "127.0.0.1");
  CHECK(p.method == "GET");
  CHECK(p.path == "/");
  CHECK(p.status.empty());
  CHECK(p.interval == 100ms);
  CHECK(p.steady_state);

  CHECK(s.faults.at(0).name == "process.kill");
  CHECK(s.faults.at(0).at_min == 0ns);
  CHECK(s.faults.at(0).at_max == 0ns);
  CHECK(s.faults.at(0).repeat == 1);
  CHECK(s.faults.at(0).every == 0ns);
  CHECK(s.faults.at(0).params.get<KillParams>().signal == SIGKILL);
  CHECK(s.faults.at(0).params.get<KillParams>().group);
  CHECK(s.faults.at(1).params.get<PauseParams>().group);
  CHECK(s.faults.at(2).params.get<ExecParams>().timeout == 30s);
  CHECK_FALSE(s.faults.at(2).params.get<ExecParams>().revert.has_value());

  CHECK(s.verify.at(0).name == "verify #1");
  CHECK(s.verify.at(1).name == "verify #2");
  CHECK(s.verify.at(1).timeout == 30s);
  CHECK_FALSE(s.verify.at(1).expect_stdout.has_value());

  CHECK_FALSE(s.thresholds.rto.has_value());
  CHECK_FALSE(s.thresholds.min_availability.has_value());
  CHECK(s.thresholds.pos.line == 0);
}

TEST_CASE("parser: recovered_after as a count, a duration or a table") {
  auto ra = [](const std::string& value) {
    return parsed("name = \"r\"\nrecovered_after = " + value + "\n").recovered_after;
  };
  CHECK(ra("5").samples == 5);
  CHECK(ra("5").duration == 0ns);
  CHECK(ra("\"2s\"").samples == 1);
  CHECK(ra("\"2s\"").duration == 2s);
  CHECK(ra("{ duration = \"1s\" }").samples == 1);
  CHECK(ra("{ duration = \"1s\" }").duration == 1s);
  CHECK(ra("{ samples = 2 }").samples == 2);
  CHECK(ra("{ samples = 2 }").duration == 0ns);

  auto bad = [](const std::string& value) {
    return errors_of("name = \"r\"\nrecovered_after = " + value + "\n");
  };
  CHECK(diag(bad("0"), "recovered_after").message == "'recovered_after' must be at least 1, not 0");
  CHECK(diag(bad("1.5"), "recovered_after").message.find("not a float") != std::string::npos);
  CHECK(diag(bad("\"0s\""), "recovered_after").message.find("positive") != std::string::npos);
  CHECK(diag(bad("{}"), "recovered_after").message.find("needs 'samples', 'duration' or both") != std::string::npos);
  const auto typo = bad("{ sample = 2 }");
  CHECK(diag(typo, "unknown key 'sample'").hint == "did you mean 'samples'?");
}

TEST_CASE("parser: a TOML syntax error has its position") {
  const std::string text = "name = \"x\"\nbad = = 1\n";
  const auto ds = errors_of(text);
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message.find("TOML syntax error") != std::string::npos);
  check_at(ds[0], {2, 7});

  const auto dup = errors_of("name = \"x\"\nname = \"y\"\n");
  REQUIRE(dup.size() == 1);
  CHECK(dup[0].pos.line == 2);
  CHECK(dup[0].message.find("TOML syntax error") != std::string::npos);
}

TEST_CASE("parser: wrong types name the key, the expected and the actual type") {
  const std::string text = "name = \"x\"\niterations = \"3\"\n";
  const auto& d = diag(errors_of(text), "iterations");
  CHECK(d.message == "'iterations' must be an integer, not a string");
  check_at(d, value_of(text, "iterations = \"3\""));

  CHECK(diag(errors_of("name = 5\n"), "'name'").message == "'name' must be a string, not an integer");
  CHECK(diag(errors_of("name = \"x\"\nseed = 1.5\n"), "seed").message == "'seed' must be an integer, not a float");
  const std::string svc = "name = \"x\"\n[[service]]\nname = \"a\"\ncommand = 5\nenv = { A = 1 }\n";
  const auto ds = errors_of(svc);
  CHECK(diag(ds, "'command'").message ==
        "'command' must be a string (a shell line) or an array of strings (an argv), not an integer");
  check_at(diag(ds, "'command'"), value_of(svc, "command = 5"));
  CHECK(diag(ds, "env 'A'").message == "env 'A' must be a string, not an integer");
  check_at(diag(ds, "env 'A'"), where_is(svc, "1 }"));

  const std::string probe = "name = \"x\"\n[[probe]]\nname = \"p\"\nkind = \"tcp\"\nport = 1\nsteady_state = \"yes\"\n";
  check_at(diag(errors_of(probe), "steady_state"), value_of(probe, "steady_state = \"yes\""));
  CHECK(diag(errors_of(probe), "steady_state").message.find("must be a boolean") != std::string::npos);
}

TEST_CASE("parser: unknown keys get a did-you-mean from the catalog") {
  const std::string text = R"(name = "x"
[[probe]]
name = "p"
kind = "tcp"
port = 1
intreval = "50ms"
)";
  const auto& d = diag(errors_of(text), "intreval");
  CHECK(d.message == "unknown key 'intreval' in [[probe]]");
  CHECK(d.hint == "did you mean 'interval'?");
  check_at(d, where_is(text, "intreval"));
  CHECK(format_diagnostic(d) == "s.toml:6:1: error: unknown key 'intreval' in [[probe]] (did you mean 'interval'?)");

  const std::string top = "name = \"x\"\nitertions = 3\n";
  CHECK(diag(errors_of(top), "itertions").hint == "did you mean 'iterations'?");

  // Nothing close: the hint lists what the table accepts.
  const auto far = diag(errors_of("name = \"x\"\nzzzzzz = 1\n"), "zzzzzz");
  CHECK(far.hint.find("known keys: name, description, seed") != std::string::npos);
}

TEST_CASE("parser: an unknown top-level table is an unknown key with a suggestion") {
  const std::string text = "name = \"x\"\n\n[[servise]]\nname = \"a\"\ncommand = \"true\"\n";
  const auto& d = diag(errors_of(text), "servise");
  CHECK(d.message == "unknown key 'servise' in the top level");
  CHECK(d.hint == "did you mean 'service'?");
  CHECK(d.pos.line == 3);

  const auto& t = diag(errors_of("name = \"x\"\n[treshold]\nrto = \"1s\"\n"), "treshold");
  CHECK(t.hint == "did you mean 'thresholds'?");
}

TEST_CASE("parser: a key of another kind says which kinds accept it") {
  const std::string probe = "name = \"x\"\n[[probe]]\nname = \"p\"\nkind = \"tcp\"\nport = 1\npath = \"/\"\n";
  const auto& d = diag(errors_of(probe), "'path'");
  CHECK(d.message == "'path' does not apply to a tcp probe (only http probes accept it)");
  check_at(d, where_is(probe, "path"));

  const std::string exec_probe = "name = \"x\"\n[[probe]]\nname = \"p\"\nkind = \"exec\"\ncommand = \"true\"\nhost = \"h\"\n";
  CHECK(diag(errors_of(exec_probe), "'host'").message ==
        "'host' does not apply to an exec probe (only tcp and http probes accept it)");

  auto fault = [](const std::string& kind, const std::string& extra) {
    return errors_of("name = \"x\"\n[[service]]\nname = \"a\"\ncommand = \"true\"\n[[fault]]\nkind = \"" + kind +
                     "\"\n" + extra);
  };
  CHECK(diag(fault("process.pause", "target = \"a\"\nduration = \"1s\"\nsignal = \"KILL\"\n"), "'signal'").message ==
        "'signal' does not apply to a process.pause fault (only process.kill faults accept it)");
  CHECK(diag(fault("exec", "apply = \"true\"\ntarget = \"a\"\n"), "'target'").message ==
        "'target' does not apply to an exec fault (only process.kill, process.pause, process.restart, net.latency, "
        "net.bandwidth, net.blackhole, net.reset, net.slow_close, net.slicer, net.corrupt, http.abort, http.delay, "
        "http.replace, file.corrupt, disk.full, clock.skew, file.io, resource.cpu, resource.memory, stress and resource.io faults accept it)");
  CHECK(diag(fault("net.partition", "isolate = \"a\"\nduration = \"1s\"\ntarget = \"a\"\n"), "'target'")
            .message.find("does not apply to a net.partition fault") != std::string::npos);
  CHECK(diag(fault("net.reset", "target = \"l\"\nduration = \"1s\"\nlatency = \"1s\"\n"), "'latency'").message ==
        "'latency' does not apply to a net.reset fault (only net.latency faults accept it)");
  CHECK(diag(fault("process.kill", "target = \"a\"\nduration = \"1s\"\n"), "'duration'").message ==
        "'duration' does not apply to a process.kill fault (only process.pause, exec, net.latency, net.bandwidth, "
        "net.blackhole, net.reset, net.slow_close, net.slicer, net.partition, net.corrupt, http.abort, http.delay, "
        "http.replace, file.corrupt, disk.full, clock.skew, file.io, resource.cpu, resource.memory, stress and resource.io faults accept it)");
  CHECK(diag(fault("process.restart", "target = \"a\"\nduration = \"1s\"\n"), "'duration'").message.find(
            "process.restart fault") != std::string::npos);
  CHECK(diag(fault("process.kill", "target = \"a\"\ntimeout = \"1s\"\n"), "'timeout'").message ==
        "'timeout' does not apply to a process.kill fault (only exec faults accept it)");
}

TEST_CASE("parser: unknown kinds, policies and signals get suggestions") {
  const std::string text = R"(name = "x"
[[service]]
name = "a"
command = "true"
restart = "on_failure"
stop_signal = "SIGTREM"
[[probe]]
name = "p"
kind = "tpc"
[[fault]]
kind = "process.kil"
target = "a"
[[fault]]
kind = "net.lateny"
[[fault]]
kind = "gpu.melt"
)";
  const auto ds = errors_of(text);
  const auto& restart = diag(ds, "restart policy");
  CHECK(restart.message == "unknown restart policy 'on_failure'");
  CHECK(restart.hint == "did you mean 'on-failure'?");
  check_at(restart, value_of(text, "restart = \"on_failure\""));
  const auto& sig = diag(ds, "unknown signal");
  CHECK(sig.message == "unknown signal 'SIGTREM' in 'stop_signal'");
  CHECK(sig.hint == "did you mean 'SIGTERM'?");
  check_at(sig, value_of(text, "stop_signal = \"SIGTREM\""));
  CHECK(diag(ds, "unknown probe kind 'tpc'").hint == "did you mean 'tcp'?");
  const auto& kind = diag(ds, "unknown fault kind 'process.kil'");
  CHECK(kind.hint == "did you mean 'process.kill'?");
  check_at(kind, value_of(text, "kind = \"process.kil\""));
  CHECK(diag(ds, "unknown fault kind 'net.lateny'").hint == "did you mean 'net.latency'?");
  CHECK(diag(ds, "unknown fault kind 'gpu.melt'").hint ==
        "known kinds: process.kill, process.pause, process.restart, exec, net.latency, net.bandwidth, net.blackhole, "
        "net.reset, net.slow_close, net.slicer, net.partition, net.corrupt, http.abort, http.delay, http.replace, "
        "file.corrupt, disk.full, clock.skew, file.io, resource.cpu, resource.memory, stress, resource.io");
}

TEST_CASE("parser: signals by name, short name, lower case or number") {
  auto sig = [](const std::string& value) {
    return parsed("name = \"x\"\n[[service]]\nname = \"a\"\ncommand = \"true\"\nstop_signal = " + value + "\n")
        .services[0]
        .stop_signal;
  };
  CHECK(sig("\"SIGTERM\"") == SIGTERM);
  CHECK(sig("\"TERM\"") == SIGTERM);
  CHECK(sig("\"sigterm\"") == SIGTERM);
  CHECK(sig("\"hup\"") == SIGHUP);
  CHECK(sig("\"SIGUSR2\"") == SIGUSR2);
  CHECK(sig("9") == SIGKILL);
  CHECK(sig("64") == 64);
  const auto ds = errors_of("name = \"x\"\n[[service]]\nname = \"a\"\ncommand = \"true\"\nstop_signal = 65\n");
  CHECK(diag(ds, "stop_signal").message == "'stop_signal' must be between 1 and 64, not 65");
  const auto zero = errors_of("name = \"x\"\n[[service]]\nname = \"a\"\ncommand = \"true\"\nstop_signal = 0\n");
  CHECK(diag(zero, "stop_signal").message == "'stop_signal' must be between 1 and 64, not 0");
}

TEST_CASE("parser: bad durations carry parse_duration's message") {
  const std::string text = "name = \"x\"\nwatch = \"5x\"\n";
  std::string expected;
  CHECK_FALSE(parse_duration("5x", &expected).has_value());
  const auto& d = diag(errors_of(text), "watch");
  CHECK(d.message.find(expected) != std::string::npos);
  check_at(d, value_of(text, "watch = \"5x\""));

  const auto& neg = diag(errors_of("name = \"x\"\ncool_down = \"-1s\"\n"), "cool_down");
  CHECK(neg.message.find("negative") != std::string::npos);
}

TEST_CASE("parser: a bare number where a duration is expected needs a unit") {
  const std::string text = "name = \"x\"\nsteady_for = 5\n";
  const auto& d = diag(errors_of(text), "steady_for");
  CHECK(d.message.find("durations need a unit") != std::string::npos);
  CHECK(d.hint == "write \"5s\" or \"5ms\"");
  check_at(d, value_of(text, "steady_for = 5"));
  const auto& f = diag(errors_of("name = \"x\"\ngive_up_after = 2.5\n"), "give_up_after");
  CHECK(f.message.find("durations need a unit") != std::string::npos);
}

TEST_CASE("parser: zero or negative where a positive value is required") {
  struct Case {
    const char* line;
    const char* key;
    const char* message;
  };
  const Case top[] = {
      {"iterations = 0", "iterations", "'iterations' must be at least 1, not 0"},
      {"iterations = -2", "iterations", "'iterations' must be at least 1, not -2"},
      {"seed = -1", "seed", "'seed' must be at least 0, not -1"},
      {"steady_timeout = \"0s\"", "steady_timeout", "'steady_timeout' must be positive (greater than zero), not \"0s\""},
      {"give_up_after = \"0ms\"", "give_up_after", "'give_up_after' must be positive (greater than zero), not \"0ms\""},
  };
  for (const auto& c : top) {
    const std::string text = std::string("name = \"x\"\n") + c.line + "\n";
    const auto& d = diag(errors_of(text), c.key);
    CHECK(d.message == c.message);
    check_at(d, value_of(text, c.line));
  }
  // Zero is fine where the catalog says ">= 0".
  parsed("name = \"x\"\nsteady_for = \"0s\"\nwatch = \"0s\"\ncool_down = \"0s\"\n");

  const std::string probe = "name = \"x\"\n[[probe]]\nname = \"p\"\nkind = \"tcp\"\nport = 1\ninterval = \"0ms\"\n";
  const auto& interval = diag(errors_of(probe), "interval");
  CHECK(interval.message == "'interval' must be positive (greater than zero), not \"0ms\"");
  check_at(interval, value_of(probe, "interval = \"0ms\""));

  const std::string fault = "name = \"x\"\n[[service]]\nname = \"a\"\ncommand = \"true\"\n"
                            "[[fault]]\nkind = \"process.kill\"\ntarget = \"a\"\nrepeat = 0\nevery = \"0s\"\n";
  const auto fds = errors_of(fault);
  check_at(diag(fds, "'repeat'"), value_of(fault, "repeat = 0"));
  CHECK(diag(fds, "'repeat'").message == "'repeat' must be between 1 and 100000, not 0");
  CHECK(diag(fds, "'every'").message.find("positive") != std::string::npos);
}

TEST_CASE("parser: numbers out of range") {
  const std::string text = R"(name = "x"
[[probe]]
name = "h"
kind = "http"
port = 70000
status = [200, 99, 600]
[[probe]]
name = "e"
kind = "exec"
command = "true"
expect_exit = 256
[[probe]]
name = "t"
kind = "tcp"
port = "http"
)";
  const auto ds = errors_of(text);
  CHECK(diag(ds, "70000").message == "'port' must be between 1 and 65535, not 70000");
  check_at(diag(ds, "not 99"), where_is(text, "99"));
  check_at(diag(ds, "not 600"), where_is(text, "600"));
  CHECK(diag(ds, "not 600").message == "'status' must be between 100 and 599, not 600");
  CHECK(diag(ds, "expect_exit").message == "'expect_exit' must be between 0 and 255, not 256");
  CHECK(diag(ds, "\"http\"").message.find("port number 1..65535 or a placeholder") != std::string::npos);
  CHECK(ds.size() == 5);
}

TEST_CASE("parser: repeat is bounded: a run keeps every injection's schedule and outcome") {
  const std::string text = "name = \"x\"\n[[fault]]\nkind = \"process.kill\"\ntarget = \"a\"\nrepeat = 100001\n";
  const auto ds = errors_of(text);
  CHECK(diag(ds, "'repeat'").message == "'repeat' must be between 1 and 100000, not 100001");
  check_at(diag(ds, "'repeat'"), where_is(text, "100001"));
}

TEST_CASE("parser: min_availability is a percentage with a percent sign") {
  auto avail = [](const std::string& value) {
    return "name = \"x\"\n[thresholds]\nmin_availability = " + value + "\n";
  };
  CHECK(*parsed(avail("\"99.5%\"")).thresholds.min_availability == doctest::Approx(99.5));
  CHECK(*parsed(avail("\"100%\"")).thresholds.min_availability == doctest::Approx(100.0));
  CHECK(*parsed(avail("\"0%\"")).thresholds.min_availability == doctest::Approx(0.0));

  const auto& bare = diag(errors_of(avail("99.5")), "min_availability");
  CHECK(bare.message.find("with a percent sign") != std::string::npos);
  CHECK(bare.hint == "write \"99.5%\"");
  check_at(bare, {3, 20});
  CHECK(diag(errors_of(avail("99")), "min_availability").hint == "write \"99%\"");
  CHECK(diag(errors_of(avail("\"99.5\"")), "min_availability").message.find("percent sign") != std::string::npos);
  CHECK(diag(errors_of(avail("\"150%\"")), "min_availability").message.find("between 0% and 100%") !=
        std::string::npos);
  CHECK(diag(errors_of(avail("\"abc%\"")), "min_availability").message.find("a number followed by '%'") !=
        std::string::npos);
  CHECK(diag(errors_of(avail("\"nan%\"")), "min_availability").message.find("between 0% and 100%") !=
        std::string::npos);
  CHECK(diag(errors_of(avail("\"-1%\"")), "min_availability").message.find("between 0% and 100%") !=
        std::string::npos);
}

TEST_CASE("parser: a regex too deep or too long is refused before it is compiled") {
  // The fuzzer found 4683 nested groups (6173 characters, now refused as too
  // long) overflowing the stack of libstdc++'s recursive regex compiler: a
  // crash, not a diagnostic.
  const std::string deep = "name = \"x\"\n[[verify]]\ncommand = \"true\"\nexpect_stdout_regex = \"" +
                           std::string(100, '(') + "a" + std::string(100, ')') + "\"\n";
  const auto& d = diag(errors_of(deep), "expect_stdout_regex");
  CHECK(d.message.find("nests parentheses 100 deep, at most 32") != std::string::npos);
  CHECK(d.pos.line == 4);
  const std::string long_text = "name = \"x\"\n[[verify]]\ncommand = \"true\"\nexpect_stdout_regex = \"" +
                                std::string(1001, 'a') + "\"\n";
  CHECK(diag(errors_of(long_text), "expect_stdout_regex").message.find("1001 characters, at most 1000") !=
        std::string::npos);
  // At the limits: accepted. Escaped parentheses are not groups.
  const std::string ok = "name = \"x\"\n[[verify]]\ncommand = \"true\"\nexpect_stdout_regex = '" +
                         std::string(32, '(') + std::string(32, ')') + "\\(x\\)'\n";
  CHECK(parsed(ok).verify.size() == 1);
}

TEST_CASE("parser: regular expressions must compile") {
  const std::string text = R"(name = "x"
[[verify]]
command = "true"
expect_stdout_regex = "(unclosed"
[[probe]]
name = "h"
kind = "http"
port = 1
expect_body_regex = "a{port.x}b[0-9]+"
)";
  const auto ds = errors_of(text);
  const auto& d = diag(ds, "expect_stdout_regex");
  CHECK(d.message.find("'expect_stdout_regex' is not a valid regular expression") != std::string::npos);
  check_at(d, value_of(text, "expect_stdout_regex = \"(unclosed\""));
  // A placeholder inside a regex is not a broken repetition; here the only
  // other problem is the undeclared port (reported by the semantic checks).
  CHECK(diag(ds, "{port.x}").message.find("no service declares") != std::string::npos);
  CHECK(ds.size() == 2);
}

TEST_CASE("parser: missing required keys are reported at the table that lacks them") {
  const std::string text = R"(description = "no name"

[[service]]
command = "true"

[[probe]]
kind = "tcp"
port = 1

[[fault]]
target = "a"

[[setup]]
name = "nothing to run"
)";
  const auto ds = errors_of(text);
  CHECK(ds.size() == 5);
  check_at(diag(ds, "'name' in the top level"), {1, 1});
  check_at(diag(ds, "'name' in [[service]]"), where_is(text, "[[service]]"));
  check_at(diag(ds, "'name' in [[probe]]"), where_is(text, "[[probe]]"));
  check_at(diag(ds, "'kind' in [[fault]]"), where_is(text, "[[fault]]"));
  check_at(diag(ds, "'command' in [[setup]]"), where_is(text, "[[setup]]"));
  CHECK(diag(ds, "'kind' in [[fault]]").message == "missing required key 'kind' in [[fault]]");
}

TEST_CASE("parser: names, commands and structure") {
  const std::string text = R"(name = "x"
[[service]]
name = "my service"
command = []
ports = ["ok", "not ok"]
[[service]]
name = "b"
command = ["", "x"]
[[probe]]
name = ""
kind = "exec"
command = ["x", 1]
[[fault]]
kind = "process.kill"
at = ["1s"]
)";
  const auto ds = errors_of(text);
  CHECK(diag(ds, "\"my service\"").message == "'name' must be made of letters, digits, '_' and '-', not \"my service\"");
  check_at(diag(ds, "empty array"), value_of(text, "command = []"));
  check_at(diag(ds, "\"not ok\""), where_is(text, "\"not ok\""));
  CHECK(diag(ds, "program (first element)").pos.line == 8);
  CHECK(diag(ds, "'name' must not be empty").pos.line == 10);
  check_at(diag(ds, "every element of 'command'"), where_is(text, "1]"));
  CHECK(diag(ds, "exactly two durations").pos.line == 15);

  const auto table = errors_of("name = \"x\"\n[service]\nname = \"a\"\n");
  CHECK(diag(table, "array of tables").message == "'service' must be an array of tables, written [[service]], not a table");
  const auto arr = errors_of("name = \"x\"\nthresholds = [1]\n");
  CHECK(diag(arr, "'thresholds'").message == "'thresholds' must be a table, written [thresholds], not an array");
}

TEST_CASE("parser: a ready probe has no name and no steady_state") {
  const std::string text = R"(name = "x"
[[service]]
name = "a"
command = "true"
ready = { kind = "tcp", port = 1, steady_state = true, name = "r" }
)";
  const auto ds = errors_of(text);
  CHECK(ds.size() == 2);
  check_at(diag(ds, "'steady_state' is not allowed in a ready probe"), where_is(text, "steady_state"));
  check_at(diag(ds, "'name' is not allowed in a ready probe"), where_is(text, "name = \"r\""));
}

TEST_CASE("parser: every error is collected, in file order") {
  const std::string text = R"(name = "x"
iterations = "3"
[[service]]
name = "a"
command = "true"
stop_signal = "SIGNOPE"
[[probe]]
name = "p"
kind = "tcp"
port = 1
intreval = "50ms"
timeout = "5 s"
[[fault]]
kind = "process.kill"
target = "nope"
[thresholds]
rto = 5
)";
  const auto ds = errors_of(text);
  INFO(all_messages(ds));
  REQUIRE(ds.size() == 6);
  CHECK(ds[0].pos.line == 2);   // iterations
  CHECK(ds[1].pos.line == 6);   // stop_signal
  CHECK(ds[2].pos.line == 11);  // intreval
  CHECK(ds[3].pos.line == 12);  // timeout
  // A semantic problem is reported beside the parse errors.
  CHECK(ds[4].pos.line == 15);
  CHECK(ds[4].message == "fault target 'nope' is not a declared service");
  CHECK(ds[5].pos.line == 17);  // rto
}

TEST_CASE("parser: semantic checks do not repeat what a parse error caused") {
  // 'duration' failed to parse, so the pause has none: that is not reported twice.
  const std::string text = R"(name = "x"
[[service]]
name = "a"
command = "true"
[[fault]]
kind = "process.pause"
target = "a"
duration = 5
)";
  const auto ds = errors_of(text);
  INFO(all_messages(ds));
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message.find("durations need a unit") != std::string::npos);
}

TEST_CASE("parser: load_scenario reads a file and names it in diagnostics") {
  const auto missing = load_scenario("/nonexistent/dir/drill.toml");
  CHECK_FALSE(missing.scenario.has_value());
  REQUIRE(missing.diagnostics.size() == 1);
  CHECK(missing.diagnostics[0].pos.file == "/nonexistent/dir/drill.toml");
  CHECK(missing.diagnostics[0].message.find("'/nonexistent/dir/drill.toml'") != std::string::npos);
  CHECK(format_diagnostic(missing.diagnostics[0]).rfind("/nonexistent/dir/drill.toml: error: ", 0) == 0);

  const auto dir = load_scenario("/");
  REQUIRE(dir.diagnostics.size() == 1);
  CHECK(dir.diagnostics[0].message.find("directory") != std::string::npos);

  const std::string path = (std::filesystem::temp_directory_path() /
                            ("faultline_parser_test_" + std::to_string(::getpid()) + ".toml"))
                               .string();
  {
    std::ofstream out(path);
    out << "name = \"from file\"\niterations = 0\n";
  }
  const auto bad = load_scenario(path);
  REQUIRE(bad.diagnostics.size() == 1);
  CHECK(bad.diagnostics[0].pos.file == path);
  CHECK(bad.diagnostics[0].pos.line == 2);
  {
    std::ofstream out(path);
    out << "name = \"from file\"\n";
  }
  const auto good = load_scenario(path);
  std::filesystem::remove(path);
  REQUIRE(good.scenario.has_value());
  CHECK(good.scenario->name == "from file");
  CHECK(good.scenario->file == path);
}

TEST_CASE("parser: parsing and validating a typical scenario takes well under 50 ms") {
  using clock = std::chrono::steady_clock;
  constexpr int runs = 20;
  const auto start = clock::now();
  for (int i = 0; i < runs; ++i) {
    auto r = parse_scenario(kFull, "s.toml");
    REQUIRE(r.scenario.has_value());
    CHECK(validate(*r.scenario).empty());
  }
  const auto each = (clock::now() - start) / runs;
  INFO("each: ", std::chrono::duration_cast<std::chrono::microseconds>(each).count(), " us");
  CHECK(each < 50ms);
}

// ---------------------------------------------------------------- links and network faults

namespace {

const std::string kNet = R"(name = "net"
[[service]]
name = "primary"
command = "redis-server --port {port.primary}"
ports = ["primary"]
[[service]]
name = "replica"
command = "redis-server --port {port.replica} --replicaof 127.0.0.1 {link.repl}"
ports = ["replica"]
[[link]]
name = "repl"
to = "127.0.0.1:{port.primary}"
service = "primary"
from = ["replica"]
[[link]]
name = "plain"
to = "[::1]:6379"
)";

}  // namespace

TEST_CASE("parser: links") {
  const Scenario s = parsed(kNet);
  REQUIRE(s.links.size() == 2);
  const LinkSpec& repl = s.links[0];
  CHECK(repl.name == "repl");
  CHECK(repl.to == "127.0.0.1:{port.primary}");
  CHECK(repl.service == "primary");
  CHECK(repl.from == std::vector<std::string>{"replica"});
  CHECK(repl.pos.line == where_is(kNet, "[[link]]").line);
  CHECK(s.positions.at("link[0].to").line == where_is(kNet, "to = \"127.0.0.1").line);
  const LinkSpec& plain = s.links[1];
  CHECK(plain.to == "[::1]:6379");
  CHECK(plain.service.empty());
  CHECK(plain.from.empty());
}

TEST_CASE("parser: what a link refuses") {
  const std::string text = R"(name = "x"
[[link]]
to = "127.0.0.1"
form = ["a"]
[[link]]
name = "b"
to = "6379"
from = ["no spaces allowed"]
[[link]]
name = "c"
to = "127.0.0.1:99999"
service = 3
[[link]]
name = "d bad"
)";
  const auto ds = errors_of(text);
  CHECK(diag(ds, "missing required key 'name' in [[link]]").pos.line == where_is(text, "[[link]]").line);
  CHECK(diag(ds, "missing required key 'to'").pos.line == where_is(text, "[[link]]", 4).line);
  CHECK(diag(ds, "unknown key 'form'").hint == "did you mean 'from'?");
  const auto& port_missing = diag(ds, "not \"127.0.0.1\"");
  CHECK(port_missing.message ==
        "'to' must be \"HOST:PORT\" with a port number 1..65535 or a placeholder, not \"127.0.0.1\"");
  check_at(port_missing, value_of(text, "to = \"127.0.0.1\""));
  CHECK(diag(ds, "not \"6379\"").hint == "e.g. \"127.0.0.1:{port.redis}\"");
  diag(ds, "not \"127.0.0.1:99999\"");
  diag(ds, "not \"no spaces allowed\"");
  diag(ds, "'service' must be a string, not an integer");
  diag(ds, "not \"d bad\"");
}

TEST_CASE("parser: network faults of every kind") {
  const Scenario s = parsed(kNet + R"(
[[fault]]
kind = "net.latency"
target = "repl"
latency = "100ms"
jitter = "10ms"
distribution = "normal"
direction = "upstream"
toxicity = 0.5
duration = "1s"
[[fault]]
kind = "net.bandwidth"
target = "repl"
rate = "100KB/s"
direction = "downstream"
toxicity = 1
duration = "1s"
[[fault]]
kind = "net.blackhole"
target = "repl"
close_after = "2s"
duration = "3s"
[[fault]]
kind = "net.reset"
target = "repl"
after = "250ms"
toxicity = 0
duration = "1s"
[[fault]]
kind = "net.slow_close"
target = "repl"
delay = "500ms"
duration = "1s"
[[fault]]
kind = "net.slicer"
target = "repl"
size = 10
size_variation = 3
delay = "1ms"
duration = "1s"
[[fault]]
kind = "net.partition"
groups = [["primary"], ["replica"]]
mode = "reject"
direction = "one"
duration = "1s"
[[fault]]
kind = "net.partition"
isolate = "replica"
duration = "1s"
[[fault]]
kind = "net.partition"
shape = "halves"
duration = "1s"
)");
  REQUIRE(s.faults.size() == 9);
  const auto& lat = s.faults[0].params.get<LatencyParams>();
  CHECK(s.faults[0].target == "repl");
  CHECK(lat.latency == 100ms);
  CHECK(lat.jitter == 10ms);
  CHECK(lat.distribution == LatencyDistribution::normal);
  CHECK(lat.direction == NetDirection::upstream);
  CHECK(lat.toxicity == 0.5);
  const auto& bw = s.faults[1].params.get<BandwidthParams>();
  CHECK(bw.rate == 100e3);
  CHECK(bw.direction == NetDirection::downstream);
  CHECK(bw.toxicity == 1.0);
  const auto& bh = s.faults[2].params.get<BlackholeParams>();
  CHECK(bh.direction == NetDirection::both);
  CHECK(bh.close_after == Nanos(2s));
  const auto& rst = s.faults[3].params.get<ResetParams>();
  CHECK(rst.after == 250ms);
  CHECK(rst.toxicity == 0.0);
  CHECK(s.faults[4].params.get<SlowCloseParams>().delay == 500ms);
  const auto& sl = s.faults[5].params.get<SlicerParams>();
  CHECK(sl.size == 10);
  CHECK(sl.size_variation == 3);
  CHECK(sl.delay == 1ms);
  const auto& groups = s.faults[6].params.get<PartitionParams>();
  CHECK(s.faults[6].target.empty());
  CHECK(groups.groups == std::vector<std::vector<std::string>>{{"primary"}, {"replica"}});
  CHECK(groups.mode == PartitionMode::reject);
  CHECK(groups.one_way);
  CHECK_FALSE(groups.shape.has_value());
  CHECK(s.faults[7].params.get<PartitionParams>().isolate == "replica");
  CHECK(s.faults[7].params.get<PartitionParams>().mode == PartitionMode::drop);
  CHECK(s.faults[8].params.get<PartitionParams>().shape == PartitionShape::halves);
  CHECK(s.faults[8].name == "net.partition#3");
}

TEST_CASE("parser: bad values of network faults name the key and what is expected") {
  const std::string text = kNet + R"(
[[fault]]
kind = "net.latency"
target = "repl"
latency = 100
toxicity = 50
direction = "up"
distribution = "gauss"
duration = "1s"
[[fault]]
kind = "net.bandwidth"
target = "repl"
rate = "100kb/s"
toxicity = "high"
duration = "1s"
[[fault]]
kind = "net.blackhole"
target = "repl"
close_after = "0s"
duration = "1s"
[[fault]]
kind = "net.slicer"
target = "repl"
size = 0
duration = "1s"
[[fault]]
kind = "net.slow_close"
target = "repl"
duration = "1s"
[[fault]]
kind = "net.partition"
groups = ["primary", ["replica"]]
shape = "circle"
mode = "drop-all"
direction = "upstream"
duration = "1s"
)";
  const auto ds = errors_of(text);
  CHECK(diag(ds, "'latency' must be a duration").hint == "write \"100s\" or \"100ms\"");
  const auto& tox = diag(ds, "'toxicity' must be between 0 and 1, not 50");
  CHECK(tox.hint == "a probability, not a percentage: write 0.5");
  check_at(tox, value_of(text, "toxicity = 50"));
  CHECK(diag(ds, "unknown direction 'up'").hint == "write \"upstream\", \"downstream\" or \"both\"");
  CHECK(diag(ds, "unknown distribution 'gauss'").hint == "write \"uniform\" or \"normal\"");
  CHECK(diag(ds, "invalid rate '100kb/s'").message.find("the unit is unknown") != std::string::npos);
  diag(ds, "'toxicity' must be a probability between 0 and 1, such as 0.5, not a string");
  diag(ds, "'close_after' must be positive");
  diag(ds, "'size' must be at least 1, not 0");
  CHECK(diag(ds, "missing required key 'delay'").pos.line == where_is(text, "kind = \"net.slow_close\"").line - 1);
  CHECK(diag(ds, "each group of 'groups' must be an array of service names, not a string").hint ==
        "write [[\"a\"], [\"b\", \"c\"]]");
  CHECK(diag(ds, "unknown shape 'circle'").hint == "write \"halves\" or \"ring\"");
  CHECK(diag(ds, "unknown mode 'drop-all'").hint == "write \"drop\" or \"reject\"");
  CHECK(diag(ds, "unknown direction 'upstream'").hint == "write \"both\" or \"one\"");
}

namespace {

const std::string kRunbook = R"(name = "failover"
[[service]]
name = "db"
command = "true"
ports = ["db"]
[[probe]]
name = "up"
kind = "tcp"
port = "{port.db}"
[[fault]]
kind = "process.kill"
target = "db"
[[recovery]]
command = ["promote", "{iteration}"]
[[recovery]]
name = "repoint"
on = "start"
after = "3s"
timeout = "5s"
expect_exit = 2
expect_stdout = "done"
command = "repoint"
[[workload]]
name = "sql"
kind = "exec"
rate = 50
write = "psql -c 'insert {seq}'"
read = "psql -c 'select'"
[[workload]]
name = "kv"
kind = "tcp"
port = "{port.db}"
send = "SET k{seq} {seq}\r\n"
expect = "+OK"
timeout = "200ms"
read = "scan"
read_timeout = "5s"
[thresholds]
max_data_loss = 0
)";

}  // namespace

TEST_CASE("parser: recovery steps and workloads") {
  const Scenario s = parsed(kRunbook);
  REQUIRE(s.recovery.size() == 2);
  CHECK(s.recovery[0].name == "recovery #1");
  CHECK(s.recovery[0].on == RecoveryTrigger::detect);
  CHECK(s.recovery[0].after == 0ns);
  CHECK(s.recovery[0].timeout == 30s);
  CHECK(s.recovery[1].name == "repoint");
  CHECK(s.recovery[1].on == RecoveryTrigger::start);
  CHECK(s.recovery[1].after == 3s);
  CHECK(s.recovery[1].timeout == 5s);
  CHECK(s.recovery[1].expect_exit == 2);
  CHECK(s.recovery[1].expect_stdout == "done");
  REQUIRE(s.workloads.size() == 2);
  CHECK(s.workloads[0].kind == WorkloadKind::exec);
  CHECK(s.workloads[0].rate == 50);
  CHECK(s.workloads[0].write.argv.back() == "psql -c 'insert {seq}'");
  CHECK(s.workloads[1].kind == WorkloadKind::tcp);
  CHECK(s.workloads[1].send == "SET k{seq} {seq}\r\n");
  CHECK(s.workloads[1].expect == "+OK");
  CHECK(s.workloads[1].timeout == 200ms);
  CHECK(s.workloads[1].read_timeout == 5s);
  CHECK(s.thresholds.max_data_loss == 0);
  CHECK_FALSE(s.thresholds.max_data_loss_window.has_value());
  auto window = kRunbook;
  window.replace(window.find("max_data_loss = 0"), 17, "max_data_loss = \"250ms\"");
  CHECK(parsed(window).thresholds.max_data_loss_window == Nanos(250ms));
}

TEST_CASE("parser: recovery and workload mistakes are named at their place") {
  auto with = [](std::string from, std::string to) {
    std::string t = kRunbook;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  {
    const auto text = with("on = \"start\"", "on = \"detected\"");
    check_at(diag(errors_of(text), "unknown on 'detected'"), value_of(text, "on = \"detected\""));
  }
  {
    const auto text = with("send = \"SET", "write = \"x\"\nsend = \"SET");
    diag(errors_of(text), "'write' does not apply to a tcp workload");
  }
  {
    const auto text = with("rate = 50", "rate = 5000");
    diag(errors_of(text), "rate");
  }
  {
    const auto text = with("kind = \"exec\"\nrate", "kind = \"udp\"\nrate");
    diag(errors_of(text), "unknown workload kind 'udp'");
  }
  // {seq} is defined in write templates, and nowhere else.
  CHECK(validate(parsed(kRunbook)).empty());
  {
    const auto text = with("read = \"scan\"", "read = \"scan {seq}\"");
    diag(validate(parsed(text)), "unknown placeholder '{seq}'");
  }
  {
    const auto text = with("[[probe]]\nname = \"up\"\nkind = \"tcp\"\nport = \"{port.db}\"\n", "");
    diag(validate(parsed(text)), "waits for detection, but no steady-state [[probe]]");
  }
  {
    std::string text = kRunbook;
    text = text.substr(0, text.find("[[workload]]")) + "[thresholds]\nmax_data_loss = 0\n";
    const auto r = parse_scenario(text, "s.toml");
    REQUIRE(r.scenario.has_value());
    diag(validate(*r.scenario), "'max_data_loss' needs a [[workload]]");
  }
}

TEST_CASE("parser: [[guard]] is a probe that never gates; max_duration bounds the run") {
  const Scenario s = parsed(R"(name = "g"
max_duration = "2m"
[[guard]]
name = "orders"
kind = "http"
port = 8080
path = "/orders"
interval = "250ms"
)");
  REQUIRE(s.guards.size() == 1);
  CHECK(s.guards[0].name == "orders");
  CHECK(s.guards[0].kind == ProbeKind::http);
  CHECK(s.guards[0].path == "/orders");
  CHECK(s.guards[0].interval == std::chrono::milliseconds(250));
  CHECK_FALSE(s.guards[0].steady_state);
  CHECK(s.probes.empty());
  REQUIRE(s.max_duration.has_value());
  CHECK(*s.max_duration == std::chrono::minutes(2));
  CHECK_FALSE(parsed("name = \"g\"\n").max_duration.has_value());
}

TEST_CASE("parser: a guard refuses steady_state and unknown keys; max_duration must be positive") {
  const std::string text = R"(name = "g"
max_duration = "0s"
[[guard]]
name = "orders"
kind = "tcp"
port = 1
steady_state = false
colour = "red"
)";
  const auto ds = errors_of(text);
  check_at(diag(ds, "'steady_state' is not allowed in a [[guard]]"), value_of(text, "steady_state = false"));
  CHECK(diag(ds, "colour").pos.line == where_is(text, "colour").line);
  check_at(diag(ds, "max_duration"), value_of(text, "max_duration = \"0s\""));
}
