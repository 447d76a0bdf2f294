#include <doctest/doctest.h>

#include "fault_injectors/process_restart.hpp"
#include "fault_injectors/remote_fault.hpp"
#include "injector_fixture.hpp"
#include "scenario/validate_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;

TEST_CASE("process.restart: the service comes back as a new process") {
  CloneFixture fx;
  const pid_t before = fx.pid();
  REQUIRE(before > 0);
  auto inj = make_injector(fault("process.restart", RestartParams{}));
  auto ctx = fx.context();
  CHECK_FALSE(inj->reversible());
  run_sync(fx.io, inj->prepare(ctx));
  run_sync(fx.io, inj->inject(ctx));
  const pid_t after = fx.pid();
  CHECK(after > 0);
  CHECK(after != before);
  CHECK_FALSE(process_state(before).has_value());
}

namespace {

/// Two attached services on host h1 (a systemd unit, a pid file) and a
/// process.restart of `target`.
std::string attached(const std::string& target) {
  return R"(name = "v"
[[host]]
name = "h1"
address = "10.0.0.1"
[[service]]
name = "unit"
host = "h1"
attach = { systemd = "etcd.service" }
[[service]]
name = "pidf"
host = "h1"
attach = { pidfile = "/run/x.pid" }
[[fault]]
kind = "process.restart"
target = )" + target + "\n";
}

}  // namespace

TEST_CASE("process.restart validation: an attached service without a supervisor is refused at its target") {
  using namespace faultline::validate_fixture;
  CHECK(all_messages(check(attached("\"unit\""))) == "");
  const std::string text = attached("\"pidf\"");
  const auto d = diag(check(text), "no supervisor");
  check_at(d, value_of(text, "target = \"pidf\""));
  CHECK(d.message ==
        "fault 'process.restart': service 'pidf' is attached by pid file /run/x.pid, which names no supervisor to "
        "restart it through (faultline starts nothing it did not start)");
  // A dynamic target among candidates: each candidate must be restartable.
  const std::string sel = attached("{ select = \"true\", among = [\"unit\", \"pidf\"] }");
  CHECK(all_messages(check(sel)).find("service 'pidf' is attached by pid file") != std::string::npos);
}

TEST_CASE("process.restart on a host: a service its host cannot find fails prepare, naming the host") {
  CloneFixture fx;
  LocalShell h1{"h1"};
  RemoteContext remote;
  remote.service = [&h1](const std::string&) -> std::optional<RemoteService> {
    return RemoteService{&h1, "echo 'not running' >&2; exit 1", {}, "", false};
  };
  auto ctx = fx.context();
  ctx.remote = &remote;
  auto inj = make_injector(fault("process.restart", RestartParams{}));
  CHECK_THROWS_WITH_AS(run_sync(fx.io, inj->prepare(ctx)), doctest::Contains("not running on host 'h1'"), FaultError);
}

TEST_CASE("process.restart on a host: prepare finds the process there; describe names the host and the pid") {
  CloneFixture fx;
  LocalShell h1{"h1"};
  RemoteContext remote;
  const pid_t pid = fx.pid();
  const std::string locate = "echo " + std::to_string(pid) + " " + std::to_string(process_start_time(pid).value());
  remote.service = [&](const std::string&) -> std::optional<RemoteService> {
    return RemoteService{&h1, locate, {}, "", false};
  };
  auto ctx = fx.context();
  ctx.remote = &remote;
  auto inj = make_injector(fault("process.restart", RestartParams{}));
  run_sync(fx.io, inj->prepare(ctx));
  CHECK(inj->describe() == "orderly restart of service 'svc' on host 'h1' (stop signal, grace, start, readiness) (was pid " +
                               std::to_string(pid) + ")");
}
