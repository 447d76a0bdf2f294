#include <doctest/doctest.h>

#include <unistd.h>

#include <fstream>

#include "../scenario/validate_fixture.hpp"
#include "resource_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;
using namespace faultline::validate_fixture;

TEST_CASE("resource.memory: an OOM kill is seen and the service restarted; after the revert it runs") {
  if (::geteuid() != 0) return;  // root-only: CI runs as root
  // Once the trigger file exists, the service's own process grows by 4 MiB
  // every 10 ms (to 512 MiB, far past the limit); without it, it idles.
  const fs::path trigger = fs::temp_directory_path() / ("faultline-oom-" + std::to_string(::getpid()));
  fs::remove(trigger);
  const std::string grow = "exec python3 -c \"import os, time\nheld = []\nwhile True:\n  if os.path.exists('" +
                           trigger.string() +
                           "') and len(held) < 128:\n    held.append(bytearray(4 << 20))\n  time.sleep(0.01)\n\"";
  ResourceFixture fx(grow, "resource.memory", "limit = \"64MiB\"\n", "always");
  fx.run_for(300ms);
  const pid_t first = fx.pid();
  REQUIRE(first > 0);
  auto inj = make_injector(fx.spec());
  auto ctx = fx.context();
  run_sync(fx.io, inj->prepare(ctx));
  run_sync(fx.io, inj->inject(ctx));
  auto controls = cgroup_controls(fx.cgroups);
  const std::int64_t kills_before = controls->oom_kills();
  std::ofstream(trigger) << "grow";
  // Killed by the kernel (SIGKILL), restarted by its policy, killed again...
  int exits = 0, restarts = 0;
  for (int i = 0; i < 50 && (exits == 0 || restarts == 0 || fx.pid() == 0); ++i) {
    fx.run_for(100ms);
    exits = restarts = 0;
    for (const auto& e : fx.clone->events()) {
      if (e.what == "exited" && e.detail.find("SIGKILL") != std::string::npos) ++exits;
      if (e.what == "restarting") ++restarts;
    }
  }
  CHECK(exits >= 1);
  CHECK(restarts >= 1);
  CHECK(controls->oom_kills() > kills_before);
  fs::remove(trigger);
  run_sync(fx.io, inj->revert(ctx));
  CHECK(inj->done().what.find("OOM kill(s) in the cgroup of service 'svc'") != std::string::npos);
  run_sync(fx.io, inj->revert(ctx));  // idempotent
  // The restarted service runs on, unlimited.
  fx.run_for(1500ms);
  const pid_t now = fx.pid();
  CHECK(now > 0);
  CHECK(now != first);
  const auto pids = controls->processes();
  CHECK(std::find(pids.begin(), pids.end(), now) != pids.end());  // its restart is in the cgroup too
}

TEST_CASE("resource.memory: sizes that do not parse, a high above the limit, v2's high on v1: file:line:col") {
  auto text = [](const std::string& keys) {
    return "name = \"v\"\n[[service]]\nname = \"s\"\ncommand = [\"sleep\", \"9\"]\n[[fault]]\nkind = "
           "\"resource.memory\"\ntarget = \"s\"\nduration = \"1s\"\n" +
           keys;
  };
  const std::string bad = text("limit = \"lots\"\n");
  check_at(diag(check(bad), "'lots'"), value_of(bad, "limit = \"lots\""));
  const std::string tiny = text("limit = \"4KiB\"\n");
  check_at(diag(check(tiny), "below 1 MiB"), value_of(tiny, "limit = \"4KiB\""));
  const std::string high = text("limit = \"64MiB\"\nhigh = \"128MiB\"\n");
  check_at(diag(check(high), "must be below limit"), value_of(high, "high = \"128MiB\""));
  CHECK(all_messages(parse_scenario(text(""), "v.toml").diagnostics).find("missing required key 'limit'") !=
        std::string::npos);
  if (::geteuid() == 0 && probe_cgroup_layout().at(CgroupController::memory).version == 1) {
    const std::string v1 = text("limit = \"64MiB\"\nhigh = \"32MiB\"\n");
    check_at(diag(check(v1), "a cgroup v2 control"), value_of(v1, "high = \"32MiB\""));
    CHECK(check(text("limit = \"64MiB\"\n")).empty());
  }
}
