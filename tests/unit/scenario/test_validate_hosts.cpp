// Validation of [[host]] tables and of what refers to them: every problem
// at its file:line:col, exit 2 before any connection.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

#include "scenario/scenario_parser.hpp"
#include "scenario/validate.hpp"
#include "validate_fixture.hpp"

using namespace faultline;
using namespace faultline::validate_fixture;

namespace {

/// A key file that exists, removed at the end.
struct KeyFile {
  std::string path = "/tmp/faultline-test-key-" + std::to_string(::getpid());
  KeyFile() { std::ofstream(path) << "not a key, never read by validation\n"; }
  ~KeyFile() { std::remove(path.c_str()); }
};

std::string two_hosts(const std::string& key) {
  return R"(name = "v"
[[host]]
name = "db1"
address = "10.0.4.21"
user = "drill"
port = 2222
identity = ")" + key + R"("
sudo = true
[[host]]
name = "db2"
address = "db2.staging"
[[service]]
name = "etcd1"
host = "db1"
command = "etcd"
[[service]]
name = "local"
command = "sleep 1"
)";
}

}  // namespace

TEST_CASE("[[host]]: a valid declaration parses into the model and validates") {
  KeyFile key;
  auto r = parse_scenario(two_hosts(key.path), "v.toml");
  INFO(all_messages(r.diagnostics));
  REQUIRE(r.scenario.has_value());
  const Scenario& s = *r.scenario;
  REQUIRE(s.hosts.size() == 2);
  CHECK(s.hosts[0].name == "db1");
  CHECK(s.hosts[0].address == "10.0.4.21");
  CHECK(s.hosts[0].user == "drill");
  CHECK(s.hosts[0].port == 2222);
  CHECK(s.hosts[0].identity == key.path);
  CHECK(s.hosts[0].sudo);
  CHECK(s.hosts[0].pos.line == 2);
  CHECK(s.hosts[1].port == 0);
  CHECK_FALSE(s.hosts[1].sudo);
  CHECK(validate(s).empty());
  CHECK(service_host(s, s.services[0]) == &s.hosts[0]);
  CHECK(service_host(s, s.services[1]) == nullptr);
  CHECK(find_host(s, "db2") == &s.hosts[1]);
  CHECK(find_host(s, "db3") == nullptr);
}

TEST_CASE("[[host]]: unknown keys, a bad port and a missing address are parse errors at their place") {
  const std::string text = R"(name = "v"
[[host]]
name = "db1"
adress = "10.0.0.1"
port = 70000
)";
  auto r = parse_scenario(text, "v.toml");
  REQUIRE_FALSE(r.scenario.has_value());
  check_at(diag(r.diagnostics, "unknown key 'adress'"), where_is(text, "adress"));
  check_at(diag(r.diagnostics, "port"), value_of(text, "port = 70000"));
  diag(r.diagnostics, "address");
}

TEST_CASE("[[host]]: duplicate names, unknown hosts and missing files name file:line:col") {
  const std::string text = R"(name = "v"
[[host]]
name = "db1"
address = "10.0.0.1"
known_hosts = "/nonexistent/known_hosts"
[[host]]
name = "db1"
address = "10.0.0.2"
[[service]]
name = "a"
host = "db9"
command = "true"
)";
  auto ds = check(text);
  check_at(diag(ds, "duplicate host 'db1'"), value_of(text, "name = \"db1\"", 2));
  CHECK(diag(ds, "duplicate host").hint == "first declared at line 3");
  check_at(diag(ds, "unknown host 'db9'"), value_of(text, "host = \"db9\""));
  CHECK(diag(ds, "unknown host").hint == "declared hosts: db1, db1");
  const auto missing = diag(ds, "known_hosts file '/nonexistent/known_hosts' does not exist");
  check_at(missing, value_of(text, "known_hosts = "));
  CHECK(missing.message.rfind("host 'db1': ", 0) == 0);
}

TEST_CASE("[[host]]: a relative file is found beside the scenario file") {
  CHECK(resolve_host_path("/etc/drills/a.toml", "keys/id") == "/etc/drills/keys/id");
  CHECK(resolve_host_path("a.toml", "keys/id") == "keys/id");
  CHECK(resolve_host_path("/x/a.toml", "/abs/id") == "/abs/id");
  CHECK(resolve_host_path("/x/a.toml", "~/id").ends_with("/id"));
  CHECK(resolve_host_path("/x/a.toml", "~/id").front() != '~');
}

TEST_CASE("[[host]] does not combine with network = \"namespaces\"; without [[host]], 'host' keeps its meaning") {
  const std::string both = R"(name = "v"
network = "namespaces"
[[host]]
name = "db1"
address = "10.0.0.1"
[[service]]
name = "a"
host = "db1"
command = "true"
)";
  auto ds = check(both);
  check_at(diag(ds, "does not combine with network"), value_of(both, "network = "));
  const std::string plain = R"(name = "v"
[[service]]
name = "a"
host = "db1"
command = "true"
)";
  auto d = diag(check(plain), "'host' only applies with network = \"namespaces\"");
  CHECK(d.hint.find("[[host]]") != std::string::npos);
}

TEST_CASE("attach: one of systemd, pidfile, match; on a declared host; no command, no restart policy") {
  const std::string good = R"(name = "v"
[[host]]
name = "db1"
address = "10.0.0.1"
[[service]]
name = "etcd"
host = "db1"
attach = { systemd = "etcd.service" }
[[service]]
name = "pg"
host = "db1"
attach = { pidfile = "/run/pg.pid" }
[[service]]
name = "redis"
host = "db1"
attach = { match = "redis-server .*:6379" }
)";
  auto r = parse_scenario(good, "v.toml");
  INFO(all_messages(r.diagnostics));
  REQUIRE(r.scenario.has_value());
  CHECK(r.scenario->services[0].attach.kind == AttachKind::systemd);
  CHECK(r.scenario->services[0].attach.value == "etcd.service");
  CHECK(r.scenario->services[1].attach.kind == AttachKind::pidfile);
  CHECK(r.scenario->services[2].attach.kind == AttachKind::match);
  CHECK(r.scenario->services[2].attach.value == "redis-server .*:6379");
  CHECK(validate(*r.scenario).empty());

  const std::string bad = R"(name = "v"
[[service]]
name = "a"
attach = { systemd = "x", pidfile = "y" }
[[service]]
name = "b"
attach = { sysd = "x" }
[[service]]
name = "c"
command = "true"
attach = { systemd = "x" }
)";
  auto rb = parse_scenario(bad, "v.toml");
  REQUIRE_FALSE(rb.scenario.has_value());
  check_at(diag(rb.diagnostics, "exactly one key"), value_of(bad, "attach = { systemd = \"x\", "));
  check_at(diag(rb.diagnostics, "unknown key 'sysd'"), where_is(bad, "sysd"));
  check_at(diag(rb.diagnostics, "'command' does not apply to an attached service"),
           value_of(bad, "command = \"true\"\nattach"));

  const std::string unhosted = R"(name = "v"
[[service]]
name = "a"
attach = { pidfile = "/run/a.pid" }
restart = "always"
)";
  auto ds = check(unhosted);
  check_at(diag(ds, "'attach' needs 'host'"), value_of(unhosted, "attach = "));
  check_at(diag(ds, "restarted by its own supervisor"), value_of(unhosted, "restart = "));
}

TEST_CASE("guardian_lease: default 5s, read with its units, range 1s..10m at its value, refused without [[host]]") {
  KeyFile key;
  auto r = parse_scenario(two_hosts(key.path), "v.toml");
  REQUIRE(r.scenario);
  CHECK(r.scenario->guardian_lease == std::chrono::seconds(5));

  const std::string ok = "guardian_lease = \"2500ms\"\n" + two_hosts(key.path);
  auto r2 = parse_scenario(ok, "v.toml");
  REQUIRE(r2.scenario);
  CHECK(r2.scenario->guardian_lease == std::chrono::milliseconds(2500));
  CHECK(all_messages(validate(*r2.scenario)) == "");

  for (const std::string v : {"500ms", "11m"}) {
    const std::string text = "guardian_lease = \"" + v + "\"\n" + two_hosts(key.path);
    const auto d = diag(check(text), "out of range");
    check_at(d, value_of(text, "guardian_lease = "));
    CHECK(d.message.find("guardian_lease " + v) != std::string::npos);
  }
  const std::string none = "guardian_lease = \"5s\"\n" + kServices;
  check_at(diag(check(none), "without [[host]]"), value_of(none, "guardian_lease = "));

  auto bad = parse_scenario("guardian_lease = \"5 parsecs\"\n" + two_hosts(key.path), "v.toml");
  REQUIRE_FALSE(bad.diagnostics.empty());
  CHECK(bad.diagnostics[0].pos.line == 1);
  CHECK(bad.diagnostics[0].pos.column == 18);
}
