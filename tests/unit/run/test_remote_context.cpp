// The run's RemoteContext: a service on a [[host]] is found through that
// host's shell (its pid file in the run's directory there, or the attach
// finder), a service of this machine is not remote, and what an attached
// finder prints is read by the hosts layer's parser.
#include <doctest/doctest.h>

#include <filesystem>

#include "run/remote_context.hpp"
#include "system/remote_service.hpp"

using namespace faultline;

TEST_CASE("remote context: services on hosts are reached through their host, the others are local") {
  Scenario s;
  s.file = "drill.toml";
  HostSpec h;
  h.name = "h1";
  h.address = "10.0.0.1";
  s.hosts = {h};
  ServiceSpec db, local, attached;
  db.name = "db";
  db.host = "h1";
  local.name = "local";
  attached.name = "etcd";
  attached.host = "h1";
  attached.attach = AttachSpec{AttachKind::pidfile, "/run/etcd.pid"};
  s.services = {db, local, attached};
  const auto logs = std::filesystem::temp_directory_path();
  RemoteHosts hosts(s, "run42", logs);
  auto ctx = make_remote_context(s, hosts, "run42", logs);
  CHECK(ctx->run_id == "run42");
  CHECK(ctx->lease == kDefaultLease);
  auto r = ctx->service("db");
  REQUIRE(r);
  CHECK(r->shell->host() == "h1");
  CHECK(r->locate == pid_script(hosts.run_dir(), "db"));
  CHECK_FALSE(r->parse);
  CHECK_FALSE(ctx->service("local"));
  CHECK_FALSE(ctx->service("ghost"));
  auto a = ctx->service("etcd");
  REQUIRE(a);
  REQUIRE(a->parse);
  std::string why;
  auto found = a->parse("4242 777\n", why);
  REQUIRE(found);
  CHECK(found->pid == 4242);
  CHECK(found->start_time == 777);
}
