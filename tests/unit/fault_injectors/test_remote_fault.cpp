// The process kinds acting on a service "on a host": the RemoteContext says
// the clone's service runs on host 'h1', reached through a LocalShell, and
// how to find its process there ("PID START"). So the injectors' remote
// path runs for real (identity-checked signals, the guardian, the ledger's
// undo) without sshd; tests/integration/test_remote_faults.cpp does the
// same through ssh.
#include <doctest/doctest.h>

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <thread>

#include "fault_injectors/process_kill.hpp"
#include "fault_injectors/process_pause.hpp"
#include "fault_injectors/remote_fault.hpp"
#include "injector_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;
using namespace std::chrono_literals;

namespace {

/// The clone's service, declared to run on host 'h1' (this machine).
struct RemoteFixture : CloneFixture {
  LocalShell h1{"h1"};
  RemoteContext remote;
  std::string locate;

  explicit RemoteFixture(const std::string& before = "") : CloneFixture(before) {
    locate = fmt::format("echo {} {}", pid(), process_start_time(pid()).value());
    remote.run_id = "unit";
    remote.lease = 1s;
    remote.service = [this](const std::string& s) -> std::optional<RemoteService> {
      if (s != "svc") return std::nullopt;
      return RemoteService{&h1, locate, {}, "", false};
    };
  }
  InjectorContext remote_context() {
    auto ctx = context();
    ctx.remote = &remote;
    ctx.event = 7;
    return ctx;
  }
};

bool all_stopped(pid_t pgid) {
  const auto members = processes_in_group(pgid);
  for (pid_t p : members)
    if (process_state(p) != 'T') return false;
  return !members.empty();
}
bool none_stopped(pid_t pgid) {
  for (pid_t p : processes_in_group(pgid))
    if (process_state(p) == 'T') return false;
  return true;
}

/// Whether the guardian of the fixture's event 7 runs (its marker in a command line).
bool guardian_running() {
  const std::string marker = guardian_marker("unit-7");
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), {});
    if (cmd.find(marker) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("remote process.kill: found on its host, identity-checked, killed") {
  RemoteFixture fx;
  const pid_t pid = fx.pid();
  auto inj = make_injector(fault("process.kill", KillParams{}));
  auto ctx = fx.remote_context();
  run_sync(fx.io, inj->prepare(ctx));
  run_sync(fx.io, inj->inject(ctx));
  CHECK(inj->describe().find("on host 'h1'") != std::string::npos);
  for (int i = 0; i < 500 && process_state(pid) && process_state(pid) != 'Z'; ++i) std::this_thread::sleep_for(2ms);
  CHECK((!process_state(pid) || process_state(pid) == 'Z'));
}

TEST_CASE("remote process.kill: a process that is not the one found is never signalled") {
  RemoteFixture fx;
  const pid_t pid = fx.pid();
  fx.locate = fmt::format("echo {} {}", pid, process_start_time(pid).value() + 1);  // a recycled pid
  auto inj = make_injector(fault("process.kill", KillParams{}));
  auto ctx = fx.remote_context();
  run_sync(fx.io, inj->prepare(ctx));
  CHECK_THROWS_WITH_AS(run_sync(fx.io, inj->inject(ctx)), doctest::Contains("already gone"), FaultError);
  CHECK(process_state(pid) == 'S');
}

TEST_CASE("remote process.kill: a service its host cannot find fails prepare, naming the host") {
  RemoteFixture fx;
  fx.locate = "echo 'no such unit' >&2; exit 1";
  auto inj = make_injector(fault("process.kill", KillParams{}));
  auto ctx = fx.remote_context();
  CHECK_THROWS_WITH_AS(run_sync(fx.io, inj->prepare(ctx)), doctest::Contains("not running on host 'h1'"), FaultError);
}

TEST_CASE("remote process.pause: guarded; revert through the guardian; the ledger's undo is the host's command") {
  RemoteFixture fx("sleep 60 &");
  const pid_t leader = fx.pid();
  auto spec = fault("process.pause", PauseParams{true});
  spec.duration = 10s;
  auto inj = make_injector(spec);
  auto ctx = fx.remote_context();
  run_sync(fx.io, inj->prepare(ctx));
  const Undo undo = inj->undo_plan(ctx);
  CHECK(undo.kind == Undo::Kind::command);
  CHECK(undo.host == "h1");
  REQUIRE(undo.argv.size() == 3);
  CHECK(undo.argv[2].find("kill -s CONT") != std::string::npos);
  run_sync(fx.io, inj->inject(ctx));
  CHECK(all_stopped(leader));
  CHECK(guardian_running());
  run_sync(fx.io, inj->revert(ctx));
  CHECK(none_stopped(leader));
  CHECK_FALSE(guardian_running());
  run_sync(fx.io, inj->revert(ctx));  // idempotent
  CHECK(none_stopped(leader));
  CHECK(fx.pid() == leader);
}

TEST_CASE("remote process.pause: a controller that hangs is healed by the guardian within lease + 1 s") {
  RemoteFixture fx;
  const pid_t leader = fx.pid();
  auto spec = fault("process.pause", PauseParams{true});
  spec.duration = 30s;
  auto inj = make_injector(spec);
  auto ctx = fx.remote_context();
  run_sync(fx.io, inj->prepare(ctx));
  run_sync(fx.io, inj->inject(ctx));
  REQUIRE(all_stopped(leader));
  const auto hung = SteadyClock::now();  // the event loop stops: no renewal
  while (!none_stopped(leader) && SteadyClock::now() - hung < 5s) std::this_thread::sleep_for(10ms);
  CHECK(none_stopped(leader));
  CHECK(SteadyClock::now() - hung <= fx.remote.lease + 1s);
  for (int i = 0; i < 200 && guardian_running(); ++i) std::this_thread::sleep_for(10ms);
  CHECK_FALSE(guardian_running());
  run_sync(fx.io, inj->revert(ctx));  // the controller comes back: nothing left to do, no error
  CHECK(none_stopped(leader));
}
