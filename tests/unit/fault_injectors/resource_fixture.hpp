// A one-service clone started the way the run starts a resource fault's
// target: in a cgroup of its own on this host (v1 or v2, whichever offers
// the controllers), made before the service starts and removed after it stops.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "async_support.hpp"
#include "fault_injectors/injector.hpp"
#include "os/resource_cgroup.hpp"
#include "scenario/scenario_parser.hpp"
#include "system/clone.hpp"

namespace faultline::testing {

namespace fs = std::filesystem;

struct ResourceFixture {
  asio::io_context io;
  RunClock clock;
  StopSource stop;
  fs::path dir = fs::temp_directory_path() / ("faultline-res-" + std::to_string(::getpid()));
  Scenario scenario;
  std::unique_ptr<Clone> clone;
  std::vector<fs::path> cgroups;

  /// Service "svc" runs `line` in sh with `restart`, in a cgroup with
  /// `controllers`; `keys` are the [[fault]] table's keys after kind and target.
  ResourceFixture(const std::string& line, const std::string& kind, const std::string& keys,
                  const std::string& restart = "never",
                  const std::vector<CgroupController>& controllers = {CgroupController::cpu,
                                                                      CgroupController::memory}) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string text = "name = \"r\"\n[[service]]\nname = \"svc\"\ncommand = '''" + line +
                             "'''\nrestart = \"" + restart + "\"\nbackoff = \"50ms\"\nstop_grace = \"1s\"\n" +
                             "[[fault]]\nkind = \"" + kind + "\"\ntarget = \"svc\"\nduration = \"1s\"\n" + keys;
    auto parsed = parse_scenario(text, "r.toml");
    REQUIRE_MESSAGE(parsed.scenario.has_value(), text);
    scenario = *parsed.scenario;
    const auto layout = probe_cgroup_layout();
    cgroups = plan_service_cgroup(layout, "t" + std::to_string(::getpid()), "svc", controllers);
    for (const auto& d : cgroups) make_service_cgroup(d);
    clone = std::make_unique<Clone>(io.get_executor(), clock, scenario, dir);
    clone->set_cgroup("svc", cgroups);
    run_sync(io, clone->start(stop));
  }
  ~ResourceFixture() {
    run_sync(io, clone->stop());
    for (const auto& d : cgroups) CHECK(remove_service_cgroup(d).empty());
    fs::remove_all(dir);
  }
  InjectorContext context() {
    return InjectorContext{io.get_executor(), *clone, stop, {{"iteration", "1"}}, nullptr, 0, 0, nullptr, 0, nullptr, dir};
  }
  FaultSpec spec() const { return scenario.faults.at(0); }
  pid_t pid() {
    Child* c = clone->current("svc");
    return c ? c->pid() : 0;
  }
  /// Runs the io_context for `d` (restarts and exits are handled meanwhile).
  void run_for(Nanos d) {
    io.restart();
    io.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(d));
  }
};

}  // namespace faultline::testing
