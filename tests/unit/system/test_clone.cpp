// Tests of the clone supervisor with real processes (sh, sleep, the
// flaky_server fixture): dependency order, readiness (success, timeout with
// the log tail, early exit), restart policies with backoff, restart(), and
// teardown that leaves no process of the run behind (checked in /proc).
#include <doctest/doctest.h>

#include "async_support.hpp"
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdlib>
#include <fstream>

#include "system/clone.hpp"

using namespace faultline;
namespace fs = std::filesystem;
using asio::ip::tcp;

using namespace faultline::testing;

namespace {


fs::path run_dir(const std::string& tag) {
  auto dir = fs::temp_directory_path() / ("faultline-clone-" + tag + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  return dir;
}

ServiceSpec service(const std::string& name, std::vector<std::string> argv) {
  ServiceSpec s;
  s.name = name;
  s.command.argv = std::move(argv);
  s.stop_grace = 2s;
  return s;
}

ServiceSpec sh_service(const std::string& name, const std::string& line) {
  auto s = service(name, {"sh", "-c", line});
  s.command.shell = true;
  return s;
}

ProbeSpec tcp_ready(const std::string& port, Nanos interval = 20ms) {
  ProbeSpec p;
  p.name = "ready";
  p.kind = ProbeKind::tcp;
  p.port = port;
  p.interval = interval;
  return p;
}

Scenario scenario_of(std::vector<ServiceSpec> services) {
  Scenario s;
  s.name = "test";
  s.services = std::move(services);
  return s;
}

std::vector<ServiceEvent> events_of(const Clone& c, const std::string& svc, const std::string& what) {
  std::vector<ServiceEvent> out;
  for (const auto& e : c.events())
    if (e.service == svc && e.what == what) out.push_back(e);
  return out;
}

/// Runs the io_context until `svc` has recorded `count` events `what` (deadline 10 s).
asio::awaitable<void> wait_events(const Clone& c, std::string svc, std::string what, std::size_t count) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  const auto deadline = SteadyClock::now() + 10s;
  while (events_of(c, svc, what).size() < count) {
    if (SteadyClock::now() >= deadline) throw std::runtime_error("no '" + what + "' event for " + svc);
    t.expires_after(1ms);
    co_await t.async_wait(asio::use_awaitable);
  }
}

/// The pids of every "started" event (each one leads its own process group).
std::vector<pid_t> started_pids(const Clone& c) {
  std::vector<pid_t> out;
  for (const auto& e : c.events())
    if (e.what == "started") out.push_back(std::stoi(e.detail.substr(4)));  // "pid N"
  return out;
}

void check_nothing_left(const Clone& c) {
  for (pid_t pgid : started_pids(c)) {
    CAPTURE(pgid);
    CHECK(processes_in_group(pgid).empty());
    CHECK_FALSE(fs::exists("/proc/" + std::to_string(pgid)));
  }
}

std::vector<std::string> started_order(const Clone& c) {
  std::vector<std::string> out;
  for (const auto& e : c.events())
    if (e.what == "started") out.push_back(e.service);
  return out;
}

}  // namespace

TEST_CASE("clone: services start in dependency order and stop in reverse") {
  become_subreaper();
  asio::io_context io;
  RunClock clock;
  auto web = service("web", {"sleep", "60"});
  web.depends_on = {"db", "cache"};
  auto cache = service("cache", {"sleep", "60"});
  cache.depends_on = {"db"};
  auto sc = scenario_of({web, service("db", {"sleep", "60"}), cache, service("worker", {"sleep", "60"})});
  const auto dir = run_dir("order");
  Clone clone(io.get_executor(), clock, sc, dir);
  StopSource stop;
  run_sync(io, clone.start(stop));
  CHECK(started_order(clone) == std::vector<std::string>{"db", "cache", "web", "worker"});
  for (const auto* name : {"db", "cache", "web", "worker"}) {
    CHECK(clone.current(name) != nullptr);
    CHECK(fs::is_directory(dir / "services" / name));
  }
  run_sync(io, clone.stop());
  std::vector<std::string> stopped;
  for (const auto& e : clone.events())
    if (e.what == "stopped") stopped.push_back(e.service);
  CHECK(stopped == std::vector<std::string>{"worker", "web", "cache", "db"});
  CHECK(clone.current("db") == nullptr);
  check_nothing_left(clone);
  fs::remove_all(dir);
}

TEST_CASE("clone: a service is ready once its probe passes, with output in its log") {
  asio::io_context io;
  RunClock clock;
  const auto port = free_port();
  auto svc = service("web", {fixture_path(), "--port", port});
  svc.ready = tcp_ready(port);
  const auto dir = run_dir("ready");
  Clone clone(io.get_executor(), clock, scenario_of({svc}), dir);
  StopSource stop;
  run_sync(io, clone.start(stop));
  REQUIRE(events_of(clone, "web", "ready").size() == 1);
  CHECK(clone.current("web") != nullptr);
  CHECK(clone.log_path("web") == dir / "logs" / "web.log");
  // The server prints its line just after it starts listening, so the
  // probe's connect may come first: the line reaches the log soon after.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  io.restart();
  while (clone.log_tail("web").find("listening on 127.0.0.1:" + port) == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    io.run_one_for(std::chrono::milliseconds(10));
  CHECK(clone.log_tail("web").find("listening on 127.0.0.1:" + port) != std::string::npos);
  run_sync(io, clone.stop());
  CHECK(events_of(clone, "web", "stopped").at(0).detail == "exit 0");  // SIGTERM handled cleanly
  check_nothing_left(clone);
  fs::remove_all(dir);
}

TEST_CASE("clone: a readiness timeout names the service, says why and keeps the log tail") {
  become_subreaper();
  asio::io_context io;
  RunClock clock;
  auto svc = sh_service("redis", "echo booting; echo 'fatal: cannot bind' >&2; sleep 60 & sleep 60 & wait");
  svc.ready = tcp_ready(free_port(), 20ms);
  svc.ready_timeout = 300ms;
  const auto dir = run_dir("timeout");
  Clone clone(io.get_executor(), clock, scenario_of({svc, service("after", {"sleep", "60"})}), dir);
  StopSource stop;
  const auto begin = SteadyClock::now();
  try {
    run_sync(io, clone.start(stop));
    FAIL("start() should have thrown");
  } catch (const CloneError& e) {
    const auto took = SteadyClock::now() - begin;
    CHECK(e.service == "redis");
    CHECK(std::string(e.what()) == "service 'redis' did not become ready within 300ms: connection refused");
    CHECK(e.log_tail.find("booting\n") != std::string::npos);
    CHECK(e.log_tail.find("fatal: cannot bind\n") != std::string::npos);
    CHECK(took >= 300ms);
    CHECK(took < 300ms + 200ms);  // the deadline, plus a few probe intervals
  }
  CHECK(started_order(clone) == std::vector<std::string>{"redis"});  // nothing after it started
  run_sync(io, clone.stop());
  check_nothing_left(clone);
  fs::remove_all(dir);
}

TEST_CASE("clone: a service that exits while awaited fails at once") {
  asio::io_context io;
  RunClock clock;
  auto svc = sh_service("api", "echo 'bad config line 3' >&2; exit 2");
  svc.ready = tcp_ready(free_port(), 50ms);
  svc.ready_timeout = 10s;
  const auto dir = run_dir("early-exit");
  Clone clone(io.get_executor(), clock, scenario_of({svc}), dir);
  StopSource stop;
  const auto begin = SteadyClock::now();
  CHECK_THROWS_WITH_AS(run_sync(io, clone.start(stop)), "service 'api' exited before it became ready (exit 2)", CloneError);
  CHECK(SteadyClock::now() - begin < 2s);
  CHECK(clone.log_tail("api") == "bad config line 3\n");
  CHECK(events_of(clone, "api", "exited").size() == 1);
  run_sync(io, clone.stop());
  fs::remove_all(dir);
}

TEST_CASE("clone: a command that cannot start is a CloneError naming the service") {
  asio::io_context io;
  RunClock clock;
  const auto dir = run_dir("nostart");
  Clone clone(io.get_executor(), clock, scenario_of({service("ghost", {"faultline-no-such-command"})}), dir);
  StopSource stop;
  CHECK_THROWS_WITH_AS(run_sync(io, clone.start(stop)),
                       doctest::Contains("service 'ghost' could not start"), CloneError);
  run_sync(io, clone.stop());
  fs::remove_all(dir);
}

TEST_CASE("clone: on-failure restarts a killed service after a doubling backoff") {
  become_subreaper();
  asio::io_context io;
  RunClock clock;
  auto svc = service("db", {"sleep", "60"});
  svc.restart = RestartPolicy::on_failure;
  svc.backoff = 100ms;
  svc.backoff_max = 2s;
  const auto dir = run_dir("restart");
  Clone clone(io.get_executor(), clock, scenario_of({svc}), dir);
  StopSource stop;
  run_sync(io, clone.start(stop));
  Child* first = clone.current("db");
  REQUIRE(first);
  const pid_t first_pid = first->pid();

  REQUIRE(first->signal_group(SIGKILL));
  run_sync(io, wait_events(clone, "db", "restarting", 1));
  CHECK(clone.current("db") == nullptr);  // between exit and restart
  run_sync(io, wait_events(clone, "db", "started", 2));
  REQUIRE(clone.current("db") != nullptr);
  CHECK(clone.current("db")->pid() != first_pid);
  CHECK(events_of(clone, "db", "exited").at(0).detail == "killed by SIGKILL");
  CHECK(events_of(clone, "db", "restarting").at(0).detail == "in 100ms");
  const auto gap1 = events_of(clone, "db", "started").at(1).at - events_of(clone, "db", "exited").at(0).at;
  CHECK(gap1 >= 100ms);
  CHECK(gap1 < 100ms + 150ms);

  // Killed again soon after: the backoff doubles.
  REQUIRE(clone.current("db")->signal_group(SIGKILL));
  run_sync(io, wait_events(clone, "db", "started", 3));
  CHECK(events_of(clone, "db", "restarting").at(1).detail == "in 200ms");
  const auto gap2 = events_of(clone, "db", "started").at(2).at - events_of(clone, "db", "exited").at(1).at;
  CHECK(gap2 >= 200ms);
  CHECK(gap2 < 200ms + 150ms);

  run_sync(io, clone.stop());
  check_nothing_left(clone);
  fs::remove_all(dir);
}

TEST_CASE("clone: the backoff resets once the service stayed up for backoff_max") {
  asio::io_context io;
  RunClock clock;
  auto svc = service("db", {"sleep", "60"});
  svc.restart = RestartPolicy::always;
  svc.backoff = 20ms;
  svc.backoff_max = 150ms;
  const auto dir = run_dir("reset");
  Clone clone(io.get_executor(), clock, scenario_of({svc}), dir);
  StopSource stop;
  run_sync(io, clone.start(stop));
  clone.current("db")->signal_group(SIGKILL);
  run_sync(io, wait_events(clone, "db", "started", 2));
  clone.current("db")->signal_group(SIGKILL);
  run_sync(io, wait_events(clone, "db", "started", 3));
  CHECK(events_of(clone, "db", "restarting").at(1).detail == "in 40ms");
  // Let it run past backoff_max (a condition: its uptime), then kill it again.
  auto uptime_passed = [&]() -> asio::awaitable<void> {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_at(clock.at(events_of(clone, "db", "started").at(2).at + svc.backoff_max + 10ms));
    co_await t.async_wait(asio::use_awaitable);
  };
  run_sync(io, uptime_passed());
  clone.current("db")->signal_group(SIGKILL);
  run_sync(io, wait_events(clone, "db", "started", 4));
  CHECK(events_of(clone, "db", "restarting").at(2).detail == "in 20ms");
  run_sync(io, clone.stop());
  fs::remove_all(dir);
}

TEST_CASE("clone: policy never leaves a killed service down; on-failure ignores a clean exit") {
  asio::io_context io;
  RunClock clock;
  auto never = service("never", {"sleep", "60"});
  never.backoff = 10ms;
  auto clean = sh_service("clean", "exit 0");
  clean.restart = RestartPolicy::on_failure;
  clean.backoff = 10ms;
  const auto dir = run_dir("never");
  Clone clone(io.get_executor(), clock, scenario_of({never, clean}), dir);
  StopSource stop;
  run_sync(io, clone.start(stop));
  clone.current("never")->signal_group(SIGKILL);
  run_sync(io, wait_events(clone, "never", "exited", 1));
  run_sync(io, wait_events(clone, "clean", "exited", 1));
  // Give a would-be restart ten backoffs to show up.
  auto window = [&]() -> asio::awaitable<void> {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(10 * never.backoff);
    co_await t.async_wait(asio::use_awaitable);
  };
  run_sync(io, window());
  CHECK(events_of(clone, "never", "restarting").empty());
  CHECK(events_of(clone, "clean", "restarting").empty());
  CHECK(events_of(clone, "never", "started").size() == 1);
  CHECK(events_of(clone, "clean", "exited").at(0).detail == "exit 0");
  CHECK(clone.current("never") == nullptr);
  CHECK(clone.current("clean") == nullptr);
  run_sync(io, clone.stop());
  fs::remove_all(dir);
}

TEST_CASE("clone: restart() stops the service and brings it back ready") {
  asio::io_context io;
  RunClock clock;
  const auto port = free_port();
  auto svc = service("web", {fixture_path(), "--port", port});
  svc.ready = tcp_ready(port);
  svc.restart = RestartPolicy::always;
  const auto dir = run_dir("manual-restart");
  Clone clone(io.get_executor(), clock, scenario_of({svc}), dir);
  StopSource stop;
  run_sync(io, clone.start(stop));
  const pid_t before = clone.current("web")->pid();
  run_sync(io, clone.restart("web", stop));
  REQUIRE(clone.current("web") != nullptr);
  CHECK(clone.current("web")->pid() != before);
  CHECK(events_of(clone, "web", "stopped").size() == 1);
  CHECK(events_of(clone, "web", "ready").size() == 2);
  CHECK(events_of(clone, "web", "restarting").empty());  // the policy did not interfere
  CHECK_THROWS_AS(run_sync(io, clone.restart("nope", stop)), CloneError);
  run_sync(io, clone.stop());
  check_nothing_left(clone);
  fs::remove_all(dir);
}

TEST_CASE("clone: teardown kills whole groups and daemonised escapees, and is idempotent") {
  become_subreaper();
  asio::io_context io;
  RunClock clock;
  const auto dir = run_dir("teardown");
  fs::create_directories(dir);
  const auto pidfile = dir / "daemon.pid";
  auto stubborn = sh_service("stubborn", "trap '' TERM; sleep 60 & sleep 60 & while :; do sleep 1; done");
  stubborn.stop_grace = 100ms;
  auto daemon = sh_service("daemon", "setsid sleep 60 >/dev/null 2>&1 & echo $! > '" + pidfile.string() + "'; sleep 60");
  auto policy = service("always", {"sleep", "60"});
  policy.restart = RestartPolicy::always;
  policy.backoff = 1ms;
  Clone clone(io.get_executor(), clock, scenario_of({stubborn, daemon, policy}), dir);
  StopSource stop;
  run_sync(io, clone.start(stop));
  auto daemon_pid = [&] {
    std::ifstream in(pidfile);
    pid_t p = 0;
    in >> p;
    return p;
  };
  auto wait_pidfile = [&]() -> asio::awaitable<void> {
    asio::steady_timer t(co_await asio::this_coro::executor);
    while (daemon_pid() == 0) {
      t.expires_after(1ms);
      co_await t.async_wait(asio::use_awaitable);
    }
  };
  run_sync(io, wait_pidfile());
  const pid_t escaped = daemon_pid();
  REQUIRE(fs::exists("/proc/" + std::to_string(escaped)));

  run_sync(io, clone.stop());
  run_sync(io, clone.stop());  // safe twice
  check_nothing_left(clone);
  CHECK_FALSE(fs::exists("/proc/" + std::to_string(escaped)));
  CHECK(events_of(clone, "stubborn", "stopped").at(0).detail == "killed by SIGKILL");
  CHECK(events_of(clone, "always", "restarting").empty());  // restarts were off first
  fs::remove_all(dir);
}

TEST_CASE("clone: start returns early when the run is stopped") {
  asio::io_context io;
  RunClock clock;
  const auto dir = run_dir("early");
  auto svc = service("slow", {"sleep", "60"});
  svc.ready = tcp_ready(free_port(), 20ms);
  svc.ready_timeout = 30s;
  Clone clone(io.get_executor(), clock, scenario_of({svc, service("next", {"sleep", "60"})}), dir);
  StopSource stop;
  auto interrupt = [&]() -> asio::awaitable<void> {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(50ms);
    co_await t.async_wait(asio::use_awaitable);
    stop.request(SIGINT);
  };
  asio::co_spawn(io, interrupt(), asio::detached);
  const auto begin = SteadyClock::now();
  run_sync(io, clone.start(stop));
  CHECK(SteadyClock::now() - begin < 1s);
  CHECK(started_order(clone) == std::vector<std::string>{"slow"});
  run_sync(io, clone.stop());
  check_nothing_left(clone);
  fs::remove_all(dir);
}

TEST_CASE("clone: destroying a clone without stop() still leaves no process") {
  become_subreaper();
  asio::io_context io;
  RunClock clock;
  const auto dir = run_dir("dtor");
  std::vector<pid_t> pids;
  {
    auto svc = sh_service("svc", "sleep 60 & sleep 60 & wait");
    svc.restart = RestartPolicy::always;
    Clone clone(io.get_executor(), clock, scenario_of({svc, service("other", {"sleep", "60"})}), dir);
    StopSource stop;
    run_sync(io, clone.start(stop));
    pids = started_pids(clone);
  }
  REQUIRE(pids.size() == 2);
  for (pid_t pgid : pids) {
    CHECK(processes_in_group(pgid).empty());
  }
  io.restart();
  io.run_for(50ms);  // the watchers wake up, see the clone gone, and leave
  for (pid_t pgid : pids) CHECK(processes_in_group(pgid).empty());
  fs::remove_all(dir);
}
