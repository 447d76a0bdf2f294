#include <doctest/doctest.h>

#include <fstream>

#include "fault_injectors/exec_fault.hpp"
#include "injector_fixture.hpp"

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
