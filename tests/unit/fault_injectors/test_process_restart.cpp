#include <doctest/doctest.h>

#include "fault_injectors/process_restart.hpp"
#include "injector_fixture.hpp"

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
