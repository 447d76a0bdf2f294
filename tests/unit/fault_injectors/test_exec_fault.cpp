#include <doctest/doctest.h>

#include <fstream>
#include <thread>

#include "fault_injectors/exec_fault.hpp"
#include "fault_injectors/remote_fault.hpp"
#include "injector_fixture.hpp"
#include "scenario/validate_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {
Command sh(const std::string& line) { return Command{{"sh", "-c", line}, true, {}}; }
}  // namespace

TEST_CASE("exec: apply then revert run in order with {iteration} substituted") {
  CloneFixture fx;
  const fs::path log = fx.dir / "exec.log";
  ExecParams e;
  e.apply = sh("echo apply {iteration} >> " + log.string());
  e.revert = sh("echo revert {iteration} >> " + log.string());
  e.timeout = 5s;
  auto inj = make_injector(fault("exec", e));
  auto ctx = fx.context();
  run_sync(fx.io, inj->inject(ctx));
  run_sync(fx.io, inj->revert(ctx));
  run_sync(fx.io, inj->revert(ctx));  // once reverted, not run again
  std::ifstream in(log);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(all == "apply 1\nrevert 1\n");
}

TEST_CASE("exec: a failing or hanging apply is a FaultError naming the command; revert still runs") {
  CloneFixture fx;
  const fs::path marker = fx.dir / "reverted";
  ExecParams e;
  e.apply = sh("echo boom >&2; exit 3");
  e.revert = sh("touch " + marker.string());
  e.timeout = 5s;
  auto inj = make_injector(fault("exec", e));
  auto ctx = fx.context();
  try {
    run_sync(fx.io, inj->inject(ctx));
    FAIL("inject should have thrown");
  } catch (const FaultError& err) {
    CHECK(std::string(err.what()).find("exit 3") != std::string::npos);
    CHECK(std::string(err.what()).find("boom") != std::string::npos);
  }
  run_sync(fx.io, inj->revert(ctx));
  CHECK(fs::exists(marker));

  ExecParams slow;
  slow.apply = sh("sleep 10");
  slow.timeout = 100ms;
  auto hang = make_injector(fault("exec", slow));
  CHECK_THROWS_WITH_AS(run_sync(fx.io, hang->inject(ctx)), doctest::Contains("timed out"), FaultError);
}

namespace {

/// A RemoteContext whose host 'h1' is this machine (a LocalShell).
struct HostFixture : CloneFixture {
  LocalShell h1{"h1"};
  RemoteContext remote;
  HostFixture() {
    remote.run_id = "unit-exec";
    remote.lease = 1s;
    remote.host = [this](const std::string& name) -> const RemoteShell* { return name == "h1" ? &h1 : nullptr; };
  }
  InjectorContext host_context() {
    auto ctx = context();
    ctx.remote = &remote;
    ctx.event = 3;
    return ctx;
  }
  std::string read(const fs::path& p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
};

}  // namespace

TEST_CASE("exec on a host: apply and revert run there; a guardian holds the revert; the ledger's undo names the host") {
  HostFixture fx;
  const fs::path log = fx.dir / "exec.log";
  ExecParams e;
  e.apply = sh("echo apply {iteration} >> " + log.string());
  e.revert = sh("echo revert >> " + log.string());
  e.timeout = 5s;
  e.host = "h1";
  auto spec = fault("exec", e);
  spec.duration = 30s;
  auto inj = make_injector(spec);
  auto ctx = fx.host_context();
  run_sync(fx.io, inj->prepare(ctx));
  const Undo undo = inj->undo_plan(ctx);
  CHECK(undo.kind == Undo::Kind::command);
  CHECK(undo.host == "h1");
  REQUIRE(undo.argv.size() == 3);
  CHECK(undo.argv[2].find("timeout -k 1 5.000s 'sh' '-c' 'echo revert >> ") != std::string::npos);
  CHECK(inj->describe().find("on host 'h1' (a guardian holds the revert)") != std::string::npos);
  run_sync(fx.io, inj->inject(ctx));
  CHECK(fx.read(log) == "apply 1\n");
  run_sync(fx.io, inj->revert(ctx));
  run_sync(fx.io, inj->revert(ctx));  // once reverted, not again
  CHECK(fx.read(log) == "apply 1\nrevert\n");
}

TEST_CASE("exec on a host: a controller that stops renewing is healed by the guardian within the lease") {
  HostFixture fx;
  const fs::path marker = fx.dir / "healed";
  ExecParams e;
  e.apply = sh("true");
  e.revert = sh("touch " + marker.string());
  e.timeout = 5s;
  e.host = "h1";
  auto inj = make_injector(fault("exec", e));
  auto ctx = fx.host_context();
  run_sync(fx.io, inj->prepare(ctx));
  run_sync(fx.io, inj->inject(ctx));
  CHECK_FALSE(fs::exists(marker));
  // The event loop does not run: nobody renews the 1 s lease.
  const auto t0 = std::chrono::steady_clock::now();
  while (!fs::exists(marker) && std::chrono::steady_clock::now() - t0 < 10s) std::this_thread::sleep_for(20ms);
  CHECK(fs::exists(marker));
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);  // lease 1 s + a tick + the revert's own time, generously
  run_sync(fx.io, inj->revert(ctx));                 // the guardian says it reverted: nothing runs twice
}

TEST_CASE("exec on a host: failures name the host; an unknown host is refused at validation; a host not connected at prepare") {
  HostFixture fx;
  ExecParams e;
  e.apply = sh("echo nope >&2; exit 4");
  e.host = "h1";
  e.timeout = 5s;
  auto inj = make_injector(fault("exec", e));
  auto ctx = fx.host_context();
  run_sync(fx.io, inj->prepare(ctx));
  CHECK_THROWS_WITH_AS(run_sync(fx.io, inj->inject(ctx)), doctest::Contains("on host 'h1' failed (exit 4): nope"), FaultError);

  ExecParams slow;
  slow.apply = sh("sleep 10");
  slow.host = "h1";
  slow.timeout = 200ms;
  auto hang = make_injector(fault("exec", slow));
  run_sync(fx.io, hang->prepare(ctx));
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH_AS(run_sync(fx.io, hang->inject(ctx)), doctest::Contains("on host 'h1' timed out after 200ms"), FaultError);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);  // the host's own timeout ended it

  ExecParams gone = e;
  gone.host = "h9";
  auto missing = make_injector(fault("exec", gone));
  CHECK_THROWS_WITH_AS(run_sync(fx.io, missing->prepare(ctx)), doctest::Contains("host 'h9': the host is not connected"),
                       FaultError);

  using namespace faultline::validate_fixture;
  const std::string text = R"(name = "v"
[[host]]
name = "h1"
address = "10.0.0.1"
[[fault]]
kind = "exec"
apply = "true"
host = "h2"
)";
  const auto d = diag(check(text), "unknown host");
  check_at(d, value_of(text, "host = \"h2\""));
  CHECK(d.message == "fault 'exec': unknown host 'h2'");
  CHECK(d.hint == "declared hosts: h1");
}
