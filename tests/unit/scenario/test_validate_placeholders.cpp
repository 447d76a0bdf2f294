// Validation of placeholders (validate_placeholders.cpp): every {X.Y} names
// something declared, and is reported at its string otherwise.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "validate_fixture.hpp"

using namespace faultline;
using namespace faultline::validate_fixture;

TEST_CASE("validate: {port.X} must name a declared port") {
  const std::string text = kServices + R"([[probe]]
name = "p"
kind = "tcp"
port = "{port.nope}"
[[probe]]
name = "q"
kind = "tcp"
port = "{port.rediss}"
)";
  const auto ds = check(text);
  REQUIRE(ds.size() == 2);
  const auto& nope = diag(ds, "{port.nope}");
  CHECK(nope.message == "'{port.nope}' names a port that no service declares");
  CHECK(nope.hint == "declare it in a service's 'ports', e.g. ports = [\"nope\"]");
  check_at(nope, value_of(text, "port = \"{port.nope}\""));
  CHECK(diag(ds, "{port.rediss}").hint == "did you mean '{port.redis}'?");
}

TEST_CASE("validate: unknown placeholders are reported at their string with a suggestion") {
  const std::string text = kServices + R"(env = { LOG = "{run.dri}/log" }
[[fault]]
kind = "exec"
apply = ["inject", "{iteration}", "{seed}", "{run.id}", "{iterations}"]
revert = "undo {{literal}} {unknown_thing}"
[[setup]]
command = "true"
expect_stdout = "{service.name}"
)";
  const auto ds = check(text);
  INFO(all_messages(ds));
  REQUIRE(ds.size() == 4);
  const auto& dri = diag(ds, "{run.dri}");
  CHECK(dri.message == "unknown placeholder '{run.dri}'");
  CHECK(dri.hint == "did you mean '{run.dir}'?");
  check_at(dri, where_is(text, "\"{run.dri}"));
  // An argv element is pointed at directly.
  const auto& its = diag(ds, "{iterations}");
  CHECK(its.hint == "did you mean '{iteration}'?");
  check_at(its, where_is(text, "\"{iterations}\""));
  const auto& unknown = diag(ds, "{unknown_thing}");
  CHECK(unknown.hint.find("write {{ and }} for literal braces") != std::string::npos);
  check_at(unknown, value_of(text, "revert = \"undo"));
  const auto& svc = diag(ds, "{service.name}");
  CHECK(svc.message == "'{service.name}' is only defined inside a [[service]]'s own fields");
}

TEST_CASE("validate: {service.*} is fine in a service's own fields, ready probe included") {
  CHECK(check(kServices + R"(workdir = "{service.dir}/work"
env = { NAME = "{service.name}" }
ready = { kind = "exec", command = "test -d {service.dir}" }
)")
            .empty());
}

TEST_CASE("validate: {link.X} must name a declared link") {
  const std::string text = kPair + "[[probe]]\nname = \"p\"\nkind = \"tcp\"\nport = \"{link.rep}\"\n"
                                   "[[probe]]\nname = \"q\"\nkind = \"tcp\"\nport = \"{link.other}\"\n";
  const auto ds = check(text);
  REQUIRE(ds.size() == 2);
  CHECK(diag(ds, "{link.rep}").message == "'{link.rep}' names a link that is not declared");
  CHECK(diag(ds, "{link.rep}").hint == "did you mean '{link.repl}'?");
  CHECK(diag(ds, "{link.other}").hint == "declare it: [[link]] name = \"other\"");
}

TEST_CASE("validate: {addr.SERVICE} names a service on a [[host]]; a service on this machine has none") {
  const std::string text = R"(name = "v"
[[host]]
name = "h1"
address = "10.0.4.21"
[[service]]
name = "etcd1"
host = "h1"
command = "etcd --listen-client-urls http://{addr.etcd1}:2379"
[[service]]
name = "local"
command = "sleep 60"
[[probe]]
name = "p"
kind = "tcp"
host = "{addr.etcd1}"
port = 2379
[[verify]]
command = "echo {addr.local}"
)";
  const auto ds = check(text);
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "'{addr.local}' is only defined with network = \"namespaces\" or for a service on a [[host]]");
}
