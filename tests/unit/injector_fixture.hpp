// A one-service clone (a plain `sleep`, or a shell line) running on an
// io_context, for testing fault injectors against real processes.
#pragma once

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>

#include "async_support.hpp"
#include "fault_injectors/injector.hpp"
#include "os/procfs.hpp"
#include "system/clone.hpp"

namespace faultline::testing {

namespace fs = std::filesystem;


/// A started clone of one service named "svc" and an injector context for it.
struct CloneFixture {
  asio::io_context io;
  RunClock clock;
  StopSource stop;
  fs::path dir;
  Scenario scenario;
  std::unique_ptr<Clone> clone;

  /// `before` runs in the service's shell first (e.g. "sleep 60 &" to add a
  /// member to its process group); the service is ready once it has run.
  explicit CloneFixture(const std::string& before = "") {
    dir = fs::temp_directory_path() / ("faultline-inj-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string ready = (dir / "ready").string();
    ServiceSpec s;
    s.name = "svc";
    s.command.argv = {"sh", "-c", before + " rm -f " + ready + "; touch " + ready + "; exec sleep 60"};
    s.command.shell = true;
    s.stop_grace = 2s;
    ProbeSpec probe;
    probe.name = "ready";
    probe.kind = ProbeKind::exec;
    probe.interval = 5ms;
    probe.timeout = 1s;
    probe.command.argv = {"test", "-f", ready};
    s.ready = probe;
    scenario.services = {s};
    clone = std::make_unique<Clone>(io.get_executor(), clock, scenario, dir);
    run_sync(io, clone->start(stop));
  }
  ~CloneFixture() {
    run_sync(io, clone->stop());
    fs::remove_all(dir);
  }

  InjectorContext context() {
    return InjectorContext{io.get_executor(), *clone, stop, {{"iteration", "1"}}, nullptr, 0, 0, nullptr, 0, nullptr, {}};
  }
  pid_t pid() {
    Child* c = clone->current("svc");
    return c ? c->pid() : 0;
  }
};

inline FaultSpec fault(const std::string& kind, FaultParams params) {
  FaultSpec f;
  f.name = kind;
  f.kind = kind;
  f.target = "svc";
  f.params = std::move(params);
  return f;
}

}  // namespace faultline::testing
