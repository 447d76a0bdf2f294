// Preparing a run, before anything starts: identity, seed, run directory,
// ports and placeholders, and where each process is placed when the run has
// network namespaces.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "run/run_prepare.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

Command argv(std::vector<std::string> a) { return Command{std::move(a), false, {}}; }

Scenario two_services() {
  Scenario s;
  s.name = "prepare";
  s.iterations = 2;
  ServiceSpec db;
  db.name = "db";
  db.ports = {"db"};
  db.command = argv({"serve", "--port", "{port.db}", "--dir", "{service.dir}"});
  ServiceSpec api;
  api.name = "api";
  api.command = argv({"api", "{run.id}"});
  ProbeSpec ready;
  ready.name = "api-ready";
  ready.from = "db";
  api.ready = ready;
  s.services = {db, api};
  ProbeSpec p;
  p.name = "read";
  p.command = argv({"probe", "{port.db}"});
  s.probes = {p};
  ProbeSpec g;
  g.name = "guard";
  g.from = "api";
  s.guards = {g};
  StepSpec v;
  v.name = "check";
  s.verify = {v};
  return s;
}

}  // namespace

TEST_CASE("run prepare: identity, seed, run directory, ports and placeholders") {
  std::string tmpl = (fs::temp_directory_path() / "faultline-prepare-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()));
  const fs::path dir = tmpl;
  RunOptions opts;
  opts.out_dir = dir / "run";
  opts.seed = 11;
  opts.iterations = 5;
  LinkSet links;
  const PreparedRun p = prepare_run(two_services(), "text", opts, links);
  CHECK(p.rec.seed == 11);
  CHECK(p.rec.scenario_name == "prepare");
  CHECK(p.rec.scenario_digest == scenario_digest("text"));
  CHECK_FALSE(p.rec.run_id.empty());
  CHECK(p.rec.scenario.iterations == 5);
  CHECK(p.dir == fs::absolute(dir / "run"));
  CHECK(fs::is_directory(p.dir / "logs"));
  REQUIRE(p.rec.ports.count("db") == 1);
  const std::string port = std::to_string(p.rec.ports.at("db"));
  CHECK(p.global.at("port.db") == port);
  CHECK(p.global.at("seed") == "11");
  CHECK(p.rec.scenario.services[0].command.argv[2] == port);
  CHECK(p.rec.scenario.services[0].command.argv[4] == (p.dir / "services" / "db").string());
  CHECK(p.rec.scenario.services[1].command.argv[1] == p.rec.run_id);
  CHECK_FALSE(p.network);
  fs::remove_all(dir);
}

TEST_CASE("run prepare: with namespaces, services in their hosts, the rest in the hub unless `from` says") {
  Scenario s = two_services();
  NetworkPlan plan;
  plan.hub = "fl-abc123";
  plan.hosts = {NetHost{"db", {"db"}, "fl-abc123-db", "10.0.0.2", "", ""},
                NetHost{"api", {"api"}, "fl-abc123-api", "10.0.0.3", "", ""}};
  plan.services = {"db", "api"};
  place_in_namespaces(s, plan);
  CHECK(s.services[0].netns == "fl-abc123-db");
  CHECK(s.services[1].netns == "fl-abc123-api");
  CHECK(s.services[1].ready->netns == "fl-abc123-db");  // its `from`
  CHECK(s.probes[0].netns == "fl-abc123");
  CHECK(s.guards[0].netns == "fl-abc123-api");
  CHECK(s.verify[0].netns == "fl-abc123");
}

TEST_CASE("run prepare: {addr.SERVICE} of a service on a [[host]] is the host's address") {
  std::string tmpl = (fs::temp_directory_path() / "faultline-prepare-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()));
  const fs::path dir = tmpl;
  Scenario s;
  s.name = "hosts";
  HostSpec h;
  h.name = "h1";
  h.address = "10.0.4.21";
  s.hosts = {h};
  ServiceSpec etcd;
  etcd.name = "etcd1";
  etcd.host = "h1";
  etcd.command = argv({"etcd", "--listen-client-urls", "http://{addr.etcd1}:2379"});
  s.services = {etcd};
  RunOptions opts;
  opts.out_dir = dir / "run";
  LinkSet links;
  const PreparedRun p = prepare_run(s, "text", opts, links);
  CHECK(p.global.at("addr.etcd1") == "10.0.4.21");
  CHECK(p.rec.scenario.services[0].command.argv[2] == "http://10.0.4.21:2379");
  fs::remove_all(dir);
}
