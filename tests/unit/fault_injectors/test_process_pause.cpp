#include <doctest/doctest.h>

#include "fault_injectors/process_pause.hpp"
#include "injector_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;

TEST_CASE("process.pause: stops the whole group, revert resumes it, and revert is idempotent") {
  CloneFixture fx("sleep 60 &");  // a leader and a member of its group
  const pid_t leader = fx.pid();
  REQUIRE(leader > 0);
  auto inj = make_injector(fault("process.pause", PauseParams{true}));
  auto ctx = fx.context();
  run_sync(fx.io, inj->prepare(ctx));
  run_sync(fx.io, inj->inject(ctx));
  // Listed after the inject: a process that was only passing through the
  // group (the shell's short-lived commands) is not there to be checked,
  // or is a zombie: the fixture's `touch` may exit as the SIGSTOP lands,
  // and its stopped shell cannot reap it. A zombie cannot run, so it
  // counts as held, as it does for the injector.
  const auto members = processes_in_group(leader);
  REQUIRE(members.size() >= 2);
  int stopped = 0;
  for (pid_t p : members) {
    const auto state = process_state(p);
    if (state == 'Z') continue;
    CHECK(state == 'T');
    ++stopped;
  }
  CHECK(stopped >= 2);  // the shell and its background sleep
  run_sync(fx.io, inj->revert(ctx));
  for (pid_t p : members) CHECK(process_state(p) != 'T');
  run_sync(fx.io, inj->revert(ctx));  // a second revert is harmless
  CHECK(fx.pid() == leader);          // paused, not killed: no restart
}

TEST_CASE("process.pause: revert without inject does nothing; a missing target fails prepare") {
  CloneFixture fx;
  auto inj = make_injector(fault("process.pause", PauseParams{true}));
  auto ctx = fx.context();
  run_sync(fx.io, inj->revert(ctx));
  CHECK(process_state(fx.pid()) != 'T');
  FaultSpec other = fault("process.pause", PauseParams{true});
  other.target = "ghost";
  auto missing = make_injector(other);
  CHECK_THROWS_AS(run_sync(fx.io, missing->prepare(ctx)), FaultError);
}
