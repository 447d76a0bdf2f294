#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "../scenario/validate_fixture.hpp"
#include "elf_images.hpp"
#include "fault_injectors/clock_skew.hpp"
#include "injector_fixture.hpp"
#include "os/faketime.hpp"

using namespace faultline;
using namespace faultline::testing;
using namespace faultline::validate_fixture;

namespace {

long long real_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// A service "svc" whose shell writes `date +%s` (a new process each time,
/// inheriting the preload) into a file every 50 ms, started the way the run
/// starts a clock.skew target: armed before the clone starts.
struct SkewFixture {
  asio::io_context io;
  RunClock clock;
  StopSource stop;
  fs::path dir = fs::temp_directory_path() / ("faultline-skew-" + std::to_string(::getpid()));
  fs::path seen = dir / "seen";
  Scenario scenario;
  std::unique_ptr<Clone> clone;

  explicit SkewFixture(const std::string& program = "") {
    fs::remove_all(dir);
    fs::create_directories(dir);
    ServiceSpec s;
    s.name = "svc";
    const std::string loop = "while :; do date +%s > " + seen.string() + ".t && mv " + seen.string() + ".t " +
                             seen.string() + "; sleep 0.05; done";
    s.command.argv = {"sh", "-c", program.empty() ? loop : program};
    s.command.shell = true;
    s.stop_grace = 2s;
    scenario.services = {s};
    FaultSpec f = fault("clock.skew", ClockSkewParams{"+2d", "", false});
    scenario.faults = {f};
    clone = std::make_unique<Clone>(io.get_executor(), clock, scenario, dir);
    arm_clock_skew(*clone, scenario, dir);
    run_sync(io, clone->start(stop));
    // No ready probe: let the service's first processes finish starting, as
    // libfaketime reads the control file while it initialises in each (an
    // open that must not be taken for the fault's effect).
    std::this_thread::sleep_for(500ms);
  }
  ~SkewFixture() {
    run_sync(io, clone->stop());
    fs::remove_all(dir);
  }
  InjectorContext context() { return InjectorContext{io.get_executor(), *clone, stop, {{"iteration", "1"}}, {}, {}, {}, {}, {}, {}, {}}; }

  /// Waits (up to 5 s) until the service's `date` shows a time within 2 s of
  /// real time + `offset`; returns whether it did.
  bool shows(long long offset) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(seen);
      long long t = 0;
      if (in >> t && std::llabs(t - (real_now() + offset)) <= 2) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
};

}  // namespace

TEST_CASE("clock.skew: offsets and rates parse, with reasons for what does not") {
  std::string why;
  CHECK(parse_clock_offset("+2d", &why) == 172800);
  CHECK(parse_clock_offset("-30s", &why) == -30);
  CHECK(parse_clock_offset("+1h30m", &why) == 5400);
  CHECK_FALSE(parse_clock_offset("2d", &why));
  CHECK(why.find("no sign") != std::string::npos);
  CHECK_FALSE(parse_clock_offset("+2w", &why));
  CHECK(why.find("unknown unit 'w'") != std::string::npos);
  CHECK_FALSE(parse_clock_offset("+5", &why));
  CHECK_FALSE(parse_clock_offset("+200y", &why));
  CHECK(parse_clock_rate("2x", &why) == 2.0);
  CHECK(parse_clock_rate("0.5x", &why) == 0.5);
  CHECK_FALSE(parse_clock_rate("2", &why));
  CHECK_FALSE(parse_clock_rate("0x", &why));
  CHECK_FALSE(parse_clock_rate("fastx", &why));
  CHECK(why.find("not a number") != std::string::npos);
}

TEST_CASE("clock.skew: the specification written for a step, a freeze and a continuous rate") {
  CHECK(clock_skew_spec({"+2d", "", false}, 1000.0, 900.0) == "+172800 x1");
  CHECK(clock_skew_spec({"-30s", "", false}, 1000.0, 900.0) == "-30 x1");
  CHECK(clock_skew_spec({"", "", true}, 1000.7, 900.0) == "1000");
  CHECK(clock_skew_spec({"+10s", "", true}, 1000.7, 900.0) == "1010");
  // Started 100 s ago at 2x: libfaketime would show 100 s ahead; written -100 s keeps it continuous.
  CHECK(clock_skew_spec({"", "2x", false}, 1000.0, 900.0) == "-100.000 x2");
}

TEST_CASE("clock.skew: only targeted services get the preload; a program's date jumps two days and comes back") {
  SkewFixture fx;
  const auto env = fx.clone->env("svc");
  REQUIRE(env.contains("LD_PRELOAD"));
  CHECK(env.at("FAKETIME_TIMESTAMP_FILE") == clock_control_path(fx.dir, "svc").string());
  CHECK(fx.clone->env("other").empty());
  REQUIRE(fx.shows(0));  // neutral until the fault
  auto inj = make_injector(fault("clock.skew", ClockSkewParams{"+2d", "", false}));
  auto ctx = fx.context();
  run_sync(fx.io, inj->prepare(ctx));
  run_sync(fx.io, inj->inject(ctx));
  CHECK(fx.shows(172800));
  run_sync(fx.io, inj->revert(ctx));
  CHECK(fx.shows(0));
  run_sync(fx.io, inj->revert(ctx));  // idempotent
  auto back = make_injector(fault("clock.skew", ClockSkewParams{"-30s", "", false}));
  run_sync(fx.io, back->prepare(ctx));
  run_sync(fx.io, back->inject(ctx));
  CHECK(fx.shows(-30));
  run_sync(fx.io, back->revert(ctx));
  CHECK(fx.shows(0));
}

TEST_CASE("clock.skew: a service whose process dropped the preload fails the injection, with the reason") {
  // The leader execs `sleep` with LD_PRELOAD removed: libfaketime is not in it.
  SkewFixture fx("exec env -u LD_PRELOAD sleep 60");
  auto inj = make_injector(fault("clock.skew", ClockSkewParams{"+2d", "", false}));
  auto ctx = fx.context();
  run_sync(fx.io, inj->prepare(ctx));
  try {
    run_sync(fx.io, inj->inject(ctx));
    FAIL("the injection should have failed");
  } catch (const FaultError& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find("has no libfaketime loaded") != std::string::npos);
  }
  run_sync(fx.io, inj->revert(ctx));
  std::ifstream in(clock_control_path(fx.dir, "svc"));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  CHECK(text == kFaketimeNeutral);  // revert after a failed inject leaves it neutral
}

TEST_CASE("clock.skew: a service whose processes lost the control file's name fails: its clock did not move") {
  // libfaketime is loaded everywhere, but the loop runs without
  // FAKETIME_TIMESTAMP_FILE (as nginx's workers without `env`): nobody reads it.
  SkewFixture fx("exec env -u FAKETIME_TIMESTAMP_FILE sh -c 'while :; do date > /dev/null; sleep 0.05; done'");
  auto inj = make_injector(fault("clock.skew", ClockSkewParams{"+2d", "", false}));
  auto ctx = fx.context();
  run_sync(fx.io, inj->prepare(ctx));
  try {
    run_sync(fx.io, inj->inject(ctx));
    FAIL("the injection should have failed");
  } catch (const FaultError& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find("none of its processes read its control file") != std::string::npos);
  }
  run_sync(fx.io, inj->revert(ctx));
}

TEST_CASE("clock.skew: validation refuses Go and static programs and bad offsets, at file:line:col") {
  const fs::path dir = fs::temp_directory_path() / ("faultline-skewv-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  write_elf(dir / "gosvc", true, true);
  write_elf(dir / "staticsvc", false, false);
  auto text = [&](const std::string& program, const std::string& keys) {
    return "name = \"v\"\n[[service]]\nname = \"s\"\ncommand = [\"" + program +
           "\"]\n[[fault]]\nkind = \"clock.skew\"\ntarget = \"s\"\nduration = \"1s\"\n" + keys;
  };
  const std::string go = text((dir / "gosvc").string(), "offset = \"+2d\"\n");
  check_at(diag(check(go), "is a Go program"), value_of(go, "target = \"s\""));
  const std::string st = text((dir / "staticsvc").string(), "offset = \"+2d\"\n");
  check_at(diag(check(st), "statically linked"), value_of(st, "target = \"s\""));
  const std::string bad_rate = text("date", "rate = \"fast\"\n");
  check_at(diag(check(bad_rate), "invalid clock rate 'fast'"), value_of(bad_rate, "rate = \"fast\""));
  const std::string bad_offset = text("date", "offset = \"2d\"\n");
  check_at(diag(check(bad_offset), "invalid clock offset '2d'"), value_of(bad_offset, "offset = \"2d\""));
  CHECK(diag(check(text("date", "")), "needs 'offset', 'rate' or 'freeze'").message.size() > 0);
  CHECK(check(text("date", "offset = \"-30s\"\n")).empty());
  CHECK(check(text("sh", "freeze = true\n")).empty());  // a dynamically linked shell
  fs::remove_all(dir);
}
