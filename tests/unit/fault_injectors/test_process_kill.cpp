#include <doctest/doctest.h>

#include <csignal>

#include "fault_injectors/process_kill.hpp"
#include "injector_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;

TEST_CASE("process.kill: SIGKILL to the group kills leader and members; nothing to revert") {
  CloneFixture fx("sleep 60 &");
  const pid_t leader = fx.pid();
  REQUIRE(leader > 0);
  const auto members = processes_in_group(leader);
  REQUIRE(members.size() == 2);
  auto inj = make_injector(fault("process.kill", KillParams{SIGKILL, true}));
  auto ctx = fx.context();
  CHECK_FALSE(inj->reversible());
  run_sync(fx.io, inj->inject(ctx));
  // The clone reaps the leader; wait for it through the supervisor's own view.
  const auto deadline = SteadyClock::now() + 5s;
  while (fx.clone->current("svc") && SteadyClock::now() < deadline) fx.io.run_one_for(std::chrono::milliseconds(10));
  CHECK(fx.clone->current("svc") == nullptr);  // restart = never
  // The kernel delivers SIGKILL to each member on its own schedule: wait
  // (bounded) until every member is dead (gone or a zombie).
  auto all_dead = [&] {
    for (pid_t p : members)
      if (process_state(p).value_or('Z') != 'Z') return false;
    return true;
  };
  const auto dead_by = SteadyClock::now() + 5s;
  while (!all_dead() && SteadyClock::now() < dead_by) fx.io.run_one_for(std::chrono::milliseconds(1));
  CHECK(all_dead());
  run_sync(fx.io, inj->revert(ctx));  // succeeds, does nothing
  CHECK(inj->describe().find("SIGKILL") != std::string::npos);
}

TEST_CASE("process.kill: a service that is not running cannot be killed") {
  CloneFixture fx;
  FaultSpec f = fault("process.kill", KillParams{});
  f.target = "ghost";
  auto inj = make_injector(f);
  auto ctx = fx.context();
  CHECK_THROWS_AS(run_sync(fx.io, inj->inject(ctx)), FaultError);
}
