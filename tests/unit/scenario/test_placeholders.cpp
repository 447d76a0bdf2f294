#include <doctest/doctest.h>

#include <fstream>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "fault_injectors/exec_fault.hpp"
#include "scenario/placeholders.hpp"

using namespace faultline;

namespace {

std::vector<std::string> names_in(std::string_view text) {
  std::vector<std::string> names;
  for (const auto& use : find_placeholders(text)) names.push_back(use.name);
  return names;
}

using Names = std::vector<std::string>;

Command shell(const std::string& line) { return Command{{"/bin/sh", "-c", line}, true, {}}; }

}  // namespace

TEST_CASE("placeholders: find names and offsets") {
  const auto uses = find_placeholders("redis-cli -p {port.redis} -n {iteration}");
  REQUIRE(uses.size() == 2);
  CHECK(uses[0].name == "port.redis");
  CHECK(uses[0].offset == 13);
  CHECK(uses[1].name == "iteration");
  CHECK(uses[1].offset == 29);
  CHECK(names_in("{run.dir}{run.id}") == Names{"run.dir", "run.id"});
  CHECK(names_in("{port.my-db_2}") == Names{"port.my-db_2"});
  CHECK(names_in("").empty());
  CHECK(names_in("no braces at all").empty());
}

TEST_CASE("placeholders: doubled braces are literal") {
  CHECK(names_in("{{port.a}}").empty());
  CHECK(names_in("{{").empty());
  CHECK(names_in("}}").empty());
  const auto uses = find_placeholders("{{{port.a}}}");
  REQUIRE(uses.size() == 1);
  CHECK(uses[0].name == "port.a");
  CHECK(uses[0].offset == 2);
  CHECK(names_in("{{x}} {y}") == Names{"y"});
}

TEST_CASE("placeholders: braces that do not hold a name are ordinary text") {
  CHECK(names_in("awk '{print $1}'").empty());
  CHECK(names_in("{}").empty());
  CHECK(names_in("{ port.a }").empty());
  CHECK(names_in("a{2}").empty());    // regex repetition
  CHECK(names_in("a{2,3}").empty());  // regex repetition
  CHECK(names_in("{port.a").empty());  // never closed
  CHECK(names_in("port.a}").empty());
  CHECK(names_in("{a b}").empty());
  CHECK(names_in("{{}").empty());
  // A brace right after '$' is shell parameter expansion, left to the shell.
  CHECK(names_in("${HOME}").empty());
  CHECK(names_in("echo ${HOME} {port.a}") == Names{"port.a"});
  CHECK(substitute("cd ${HOME} && echo {x}", {{"x", "1"}, {"HOME", "no"}}) == "cd ${HOME} && echo 1");
}

TEST_CASE("placeholders: substitute replaces bound names only") {
  const Bindings b = {{"port.redis", "6379"}, {"run.dir", "/tmp/run"}};
  CHECK(substitute("redis-cli -p {port.redis}", b) == "redis-cli -p 6379");
  CHECK(substitute("{run.dir}/{port.redis}/{run.dir}", b) == "/tmp/run/6379//tmp/run");
  CHECK(substitute("{iteration} and {port.other}", b) == "{iteration} and {port.other}");
  CHECK(substitute("", b).empty());
  CHECK(substitute("plain", {}) == "plain");
}

TEST_CASE("placeholders: substitute unescapes doubled braces and keeps other braces") {
  const Bindings b = {{"x", "1"}};
  CHECK(substitute("{{x}}", b) == "{x}");
  CHECK(substitute("{{{x}}}", b) == "{1}");
  CHECK(substitute("awk '{print $1}'", b) == "awk '{print $1}'");
  CHECK(substitute("a{2,3}", b) == "a{2,3}");
  CHECK(substitute("{{ }}", b) == "{ }");
  CHECK(substitute("{x", b) == "{x");
  CHECK(substitute("}", b) == "}");
}

TEST_CASE("placeholders: substituted values are not substituted again") {
  const Bindings b = {{"a", "{b}"}, {"b", "B"}};
  CHECK(substitute("{a}", b) == "{b}");
  CHECK(substitute("{b}{a}", b) == "B{b}");
}

TEST_CASE("placeholders: resolve_placeholders substitutes every string field") {
  Scenario s;
  s.name = "{run.id} stays: the name is not a template";
  ServiceSpec db;
  db.name = "db";
  db.command = Command{{"db", "--port", "{port.db}", "--dir", "{service.dir}"}, false, {}};
  db.env = {{"NAME", "{service.name}"}, {"RUN", "{run.id}"}};
  db.workdir = "{service.dir}/work";
  ProbeSpec ready;
  ready.kind = ProbeKind::exec;
  ready.command = shell("check {service.name} {port.db}");
  ready.expect_stdout = "{service.name} ok";
  db.ready = ready;
  s.services.push_back(db);
  ServiceSpec web = db;
  web.name = "web";
  web.ready.reset();
  s.services.push_back(web);

  ProbeSpec http;
  http.kind = ProbeKind::http;
  http.host = "{run.id}.local";
  http.port = "{port.db}";
  http.method = "{run.id}";
  http.path = "/{run.id}";
  http.expect_body = "{run.id}";
  http.expect_body_regex = "{run.id}+";
  http.expect_stdout = "{run.id}";
  http.expect_stdout_regex = "{run.id}";
  http.command = shell("{run.id}");
  s.probes.push_back(http);

  FaultSpec f;
  f.kind = "exec";
  f.params = ExecParams{shell("inject {port.db} {iteration}"), shell("revert {port.db}"), 30s, ""};
  s.faults.push_back(f);
  StepSpec step;
  step.command = Command{{"seed", "{iteration}", "{{literal}}"}, false, {}};
  step.expect_stdout = "{port.db}";
  step.expect_stdout_regex = "^{port.db}$";
  s.setup.push_back(step);
  s.verify.push_back(step);

  const Bindings global = {{"port.db", "5432"}, {"run.id", "r1"}};
  const std::map<std::string, Bindings> per_service = {
      {"db", {{"service.dir", "/run/services/db"}, {"service.name", "db"}}},
      {"web", {{"service.dir", "/run/services/web"}, {"service.name", "web"}}}};
  const Scenario r = resolve_placeholders(s, global, per_service);

  CHECK(r.name == s.name);
  CHECK(r.services[0].command.argv == std::vector<std::string>{"db", "--port", "5432", "--dir", "/run/services/db"});
  CHECK(r.services[0].env.at("NAME") == "db");
  CHECK(r.services[0].env.at("RUN") == "r1");
  CHECK(r.services[0].workdir == "/run/services/db/work");
  CHECK(r.services[0].ready->command.argv[2] == "check db 5432");
  CHECK(r.services[0].ready->expect_stdout == "db ok");
  // Each service gets its own bindings.
  CHECK(r.services[1].command.argv[4] == "/run/services/web");
  CHECK(r.services[1].env.at("NAME") == "web");

  const ProbeSpec& p = r.probes[0];
  CHECK(p.host == "r1.local");
  CHECK(p.port == "5432");
  CHECK(p.method == "r1");
  CHECK(p.path == "/r1");
  CHECK(p.expect_body == "r1");
  CHECK(p.expect_body_regex == "r1+");
  CHECK(p.expect_stdout == "r1");
  CHECK(p.expect_stdout_regex == "r1");
  CHECK(p.command.argv[2] == "r1");

  const auto& e = r.faults[0].params.get<ExecParams>();
  CHECK(e.apply.argv[2] == "inject 5432 {iteration}");  // unbound: left for the runner
  CHECK(e.revert->argv[2] == "revert 5432");
  CHECK(r.setup[0].command.argv == std::vector<std::string>{"seed", "{iteration}", "{literal}"});
  CHECK(r.setup[0].expect_stdout == "5432");
  CHECK(r.verify[0].expect_stdout_regex == "^5432$");

  // The input is untouched.
  CHECK(s.services[0].command.argv[2] == "{port.db}");
}

TEST_CASE("placeholders: service bindings do not leak outside the service") {
  Scenario s;
  ServiceSpec svc;
  svc.name = "a";
  svc.command = shell("run {service.dir}");
  s.services.push_back(svc);
  ProbeSpec p;
  p.kind = ProbeKind::exec;
  p.command = shell("check {service.dir}");
  s.probes.push_back(p);
  const Scenario r = resolve_placeholders(s, {}, {{"a", {{"service.dir", "/d"}}}});
  CHECK(r.services[0].command.argv[2] == "run /d");
  CHECK(r.probes[0].command.argv[2] == "check {service.dir}");
}

TEST_CASE("placeholders: a service binding wins over a global one of the same name") {
  Scenario s;
  ServiceSpec svc;
  svc.name = "a";
  svc.workdir = "{x}";
  s.services.push_back(svc);
  const Scenario r = resolve_placeholders(s, {{"x", "global"}}, {{"a", {{"x", "local"}}}});
  CHECK(r.services[0].workdir == "local");
}

TEST_CASE("placeholders: allocate_loopback_port returns a free, bindable port") {
  std::set<std::uint16_t> seen;
  for (int i = 0; i < 5; ++i) {
    const std::uint16_t port = allocate_loopback_port();
    CHECK(port > 0);
    seen.insert(port);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    CHECK(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::close(fd);
  }
  CHECK(seen.size() >= 2);  // random starts: different ports
  // Never from the kernel's ephemeral range, where outgoing connections
  // (and TCP self-connects to a port that is down) could take it.
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int lo = 0, hi = 0;
  range >> lo >> hi;
  for (auto port : seen) CHECK_FALSE((port >= lo && port <= hi));
}

TEST_CASE("placeholders: the builtin names") {
  const auto& names = builtin_placeholders();
  CHECK(names == std::vector<std::string>{"run.dir", "run.id", "seed", "iteration"});
}

TEST_CASE("placeholders: Command::display") {
  CHECK(shell("redis-cli -p {port.redis} ping | grep PONG").display() == "redis-cli -p {port.redis} ping | grep PONG");
  CHECK(Command{{"redis-server", "--port", "{port.redis}", "--save", ""}, false, {}}.display() ==
        "redis-server --port {port.redis} --save ''");
  CHECK(Command{{"echo", "two words", "it's", "$HOME", "a,b", "{a,b}"}, false, {}}.display() ==
        "echo 'two words' 'it'\\''s' '$HOME' a,b '{a,b}'");
  CHECK(Command{{"/usr/bin/env", "A=1", "x@y:z/w.v-u_t%+"}, false, {}}.display() == "/usr/bin/env A=1 x@y:z/w.v-u_t%+");
  CHECK(Command{}.display().empty());
}

TEST_CASE("placeholders: a link's 'to' is resolved, and {link.NAME} wherever ports go") {
  Scenario s;
  s.links = {LinkSpec{"repl", "127.0.0.1:{port.primary}", "", {}, {}}};
  ServiceSpec svc;
  svc.name = "replica";
  svc.command = Command{{"redis-server", "--replicaof", "127.0.0.1", "{link.repl}"}, false, {}};
  s.services = {svc};
  const Scenario r = resolve_placeholders(s, {{"port.primary", "4001"}, {"link.repl", "4002"}}, {});
  CHECK(r.links[0].to == "127.0.0.1:4001");
  CHECK(r.services[0].command.argv[3] == "4002");
  CHECK(r.links[0].service.empty());  // no service declares port "primary" here

  ServiceSpec primary;
  primary.name = "primary";
  primary.ports = {"primary"};
  s.services.push_back(primary);
  CHECK(resolve_placeholders(s, {{"port.primary", "4001"}}, {}).links[0].service == "primary");  // kept explicit
  s.links[0].service = "other";
  CHECK(resolve_placeholders(s, {{"port.primary", "4001"}}, {}).links[0].service == "other");
}

TEST_CASE("placeholders: {addr.SERVICE} is substituted like any global binding") {
  Scenario s;
  ServiceSpec svc;
  svc.name = "db";
  svc.command.argv = {"redis-server", "--bind", "{addr.db}"};
  s.services = {svc};
  ProbeSpec p;
  p.name = "p";
  p.host = "{addr.db}";
  s.probes = {p};
  const Scenario r = resolve_placeholders(s, {{"addr.db", "10.77.0.2"}}, {});
  CHECK(r.services[0].command.argv[2] == "10.77.0.2");
  CHECK(r.probes[0].host == "10.77.0.2");
}
