// End-to-end runs of the real binary against real processes: the default
// Redis drill, a server whose outages the test controls (to check measured
// recovery time against the truth), readiness and threshold failures, and
// parallel runs. After every run, /proc is scanned for anything it left.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "checks.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

std::int64_t get_ns(const json::value& v) { return v.is_null() ? -1 : v.as_int64(); }


}  // namespace

TEST_CASE("drill: the default Redis drill passes, restarts redis after each kill, and leaves nothing") {
  TempDir dir;
  const fs::path scenario = source_root() / "scenarios" / "redis-kill-restart.toml";
  Result r = itest::faultline_judged(dir, {"run", scenario.string(), "--iterations", "2", "--out", (dir / "run").string(),
                             "--json", (dir / "record.json").string()});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 0);
  CHECK(r.out.find("PASSED") != std::string::npos);
  CHECK(r.out.find("MTTR") != std::string::npos);

  REQUIRE(fs::exists(dir / "run" / "run.json"));
  REQUIRE(fs::exists(dir / "record.json"));
  REQUIRE(fs::exists(dir / "run" / "logs" / "redis.log"));
  const json::value rec = read_json(dir / "run" / "run.json");
  CHECK(rec.at("outcome").as_string() == "passed");
  CHECK(rec.at("seed").as_int64() == 42);
  const auto& its = rec.at("iterations").as_array();
  REQUIRE(its.size() == 2);
  for (const auto& it : its) {
    CHECK(it.at("impact").as_bool());
    CHECK(it.at("recovered").as_bool());
    CHECK(get_ns(it.at("ttd_ns")) >= 0);
    CHECK(get_ns(it.at("recovery_time_ns")) > 0);
  }
  // Each kill was followed by a restart of the supervised process.
  int restarts = 0;
  for (const auto& e : rec.at("service_events").as_array())
    if (e.at("what").as_string() == "restarting") ++restarts;
  CHECK(restarts == 2);
  const auto* v = find_verdict(rec, "verify");
  REQUIRE(v);
  CHECK(v->at("passed").as_bool());
  expect_nothing_left(rec);
}

TEST_CASE("drill: measured recovery time is within one probe interval + 5 ms of the truth") {
  TempDir dir;
  const fs::path file = dir / "truth.toml";
  write_file(file, flaky_scenario("down:600ms", "", "rto = \"2s\""));
  Result r = itest::faultline_judged(dir, {"run", file.string(), "--out", (dir / "run").string(), "--quiet"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
  const json::value rec = read_json(dir / "run" / "run.json");
  const std::int64_t origin = rec.at("environment").at("origin_monotonic_ns").as_int64();
  const auto events = server_events(dir / "run" / "services" / "app" / "events");
  const auto& its = rec.at("iterations").as_array();
  REQUIRE(its.size() == 3);
  REQUIRE(events.size() == 6);  // down, up per iteration
  const std::int64_t tolerance = 20'000'000 + 5'000'000;  // one probe interval + 5 ms
  for (std::size_t i = 0; i < its.size(); ++i) {
    REQUIRE(events[2 * i].first == "down");
    REQUIRE(events[2 * i + 1].first == "up");
    const std::int64_t t_inject = its[i].at("inject_ns").as_int64();
    const std::int64_t truth = events[2 * i + 1].second - (origin + t_inject);
    const std::int64_t measured = get_ns(its[i].at("recovery_time_ns"));
    INFO("iteration " << i + 1 << ": measured " << measured << " ns, truth " << truth << " ns");
    CHECK(its[i].at("recovered").as_bool());
    CHECK(std::llabs(measured - truth) <= tolerance);
  }
  expect_nothing_left(rec);
}

TEST_CASE("drill: a system that never comes back fails rto with '> deadline' (exit 1) and leaves nothing") {
  TempDir dir;
  const fs::path file = dir / "never.toml";
  std::string text = flaky_scenario("down:forever", "", "rto = \"1s\"");
  // One iteration with a short deadline is enough.
  text.replace(text.find("iterations = 3"), 14, "iterations = 1");
  text.replace(text.find("give_up_after = \"5s\""), 20, "give_up_after = \"500ms\"");
  write_file(file, text);
  Result r = itest::faultline_judged(dir, {"run", file.string(), "--out", (dir / "run").string()});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 1);
  const json::value rec = read_json(dir / "run" / "run.json");
  CHECK(rec.at("outcome").as_string() == "failed");
  const auto& it = rec.at("iterations").as_array().at(0);
  CHECK_FALSE(it.at("recovered").as_bool());
  CHECK(it.at("recovery_time_ns").is_null());
  const auto* rto = find_verdict(rec, "rto");
  REQUIRE(rto);
  CHECK_FALSE(rto->at("passed").as_bool());
  CHECK(std::string(rto->at("measured").as_string()).starts_with("> "));
  expect_nothing_left(rec);
}

TEST_CASE("drill: a service that never gets ready makes the run inconclusive (exit 3), named, and leaves nothing") {
  TempDir dir;
  const fs::path file = dir / "stuck.toml";
  // The service forks a member of its group and a daemon that escapes the
  // group with setsid; neither may survive the run.
  write_file(file, R"(name = "stuck"
[[service]]
name = "stuck"
command = "echo starting up; setsid sleep 300 & echo $! > {service.dir}/daemon.pid; sleep 300 & echo $! > {service.dir}/member.pid; exec sleep 300"
ports = ["stuck"]
ready_timeout = "400ms"
[service.ready]
kind = "tcp"
port = "{port.stuck}"
[[probe]]
name = "port"
kind = "tcp"
port = "{port.stuck}"
[[fault]]
kind = "process.kill"
target = "stuck"
)");
  Result r = faultline(dir, {"run", file.string(), "--out", (dir / "run").string()});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 3);
  const std::string all = r.out + r.err;
  CHECK(all.find("'stuck'") != std::string::npos);
  CHECK(all.find("starting up") != std::string::npos);  // the log tail is shown
  const json::value rec = read_json(dir / "run" / "run.json");
  CHECK(rec.at("outcome").as_string() == "inconclusive");
  expect_nothing_left(rec);
  for (const char* f : {"daemon.pid", "member.pid"}) {
    const std::string pid = read_file(dir / "run" / "services" / "stuck" / f);
    REQUIRE_FALSE(pid.empty());
    CHECK_MESSAGE(!process_exists(static_cast<pid_t>(std::stol(pid))), f << " survived");
  }
}

TEST_CASE("drill: a paused service is resumed at revert and recovery is measured from the revert") {
  TempDir dir;
  const fs::path file = dir / "pause.toml";
  std::string text = flaky_scenario("down:1ms", "", "rto = \"3s\"");
  // Replace the exec fault by a 400 ms SIGSTOP of the server.
  const auto at = text.find("[[fault]]");
  text = text.substr(0, at) + R"([[fault]]
name = "freeze"
kind = "process.pause"
target = "app"
at = "100ms"
duration = "400ms"

[thresholds]
rto = "3s"
)";
  write_file(file, text);
  Result r = itest::faultline_judged(dir, {"run", file.string(), "--out", (dir / "run").string(), "--iterations", "2"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 0);
  const json::value rec = read_json(dir / "run" / "run.json");
  const auto& faults = rec.at("faults").as_array();
  const auto& its = rec.at("iterations").as_array();
  REQUIRE(faults.size() == its.size());
  for (std::size_t i = 0; i < its.size(); ++i) {
    CHECK(its[i].at("impact").as_bool());
    REQUIRE(its[i].at("recovered").as_bool());
    // The server resumes between the revert's start (SIGCONT) and its end
    // (the kernel reports the group running). A probe that started up to
    // one interval (20 ms, also its timeout) before SIGCONT waits in the
    // paused server's backlog and succeeds once it resumes; the first probe
    // started after the resume succeeds too, +5 ms for the probe itself.
    // Upper bound: one interval to the next tick, plus one more when the
    // probe running across SIGCONT overruns its tick (a skipped tick).
    const std::int64_t t_recover = get_ns(its[i].at("t_recover_ns"));
    CHECK(t_recover >= get_ns(faults[i].at("revert_start_ns")) - 20'000'000 - 1'000'000);
    CHECK(t_recover <= get_ns(faults[i].at("revert_ns")) + 2 * 20'000'000 + 5'000'000);
    CHECK(get_ns(its[i].at("recovery_after_revert_ns")) == t_recover - get_ns(faults[i].at("revert_ns")));
  }
  expect_nothing_left(rec);
}

TEST_CASE("drill: two runs of one scenario side by side do not collide") {
  TempDir dir;
  const fs::path scenario = source_root() / "scenarios" / "redis-kill-restart.toml";
  auto start = [&](const char* tag, int attempt) {
    return spawn({faultline_bin(), "run", scenario.string(), "--iterations", "1", "--quiet", "--out",
                  (dir / tag).string()},
                 dir.path, fmt::format("{}{}", tag, attempt), dir.path);
  };
  // Two runs side by side on two vCPUs starve each other now and then. A
  // run that reached its verdicts (no error in its record) and ended
  // inconclusive with harness stalls in its record judged nothing; such a
  // pair runs again, both together, as faultline_judged does for one run,
  // at most twice, earlier pairs kept as a.starvedN and b.starvedN. A
  // collision shows as a failed verdict (exit 1) or an error (a service not
  // ready, no steady state): never run again.
  auto starved = [&](int code, const char* tag) {
    return code == 3 && starved_inconclusive(dir / tag) > 0 &&
           read_json(dir / tag / "run.json").at("error").as_string().empty();
  };
  Spawned a, b;
  int ca = -1, cb = -1;
  int attempt = 0;
  for (;; ++attempt) {
    a = start("a", attempt);
    b = start("b", attempt);
    ca = wait_for(a, std::chrono::minutes(2));
    cb = wait_for(b, std::chrono::minutes(2));
    // Again only when each run passed or was starved, and one was starved.
    const bool sa = starved(ca, "a"), sb = starved(cb, "b");
    if (attempt == 2 || !(sa || sb) || !(sa || ca == 0) || !(sb || cb == 0)) break;
    fmt::print(stderr, "side by side: a pair ended inconclusive with the harness starved ({} {}): run again\n", ca, cb);
    for (const char* tag : {"a", "b"}) fs::rename(dir / tag, dir / fmt::format("{}.starved{}", tag, attempt + 1));
  }
  INFO("pair " << attempt + 1 << " of up to 3\na:\n" << read_file(a.out) << read_file(a.err) << "\nb:\n"
               << read_file(b.out) << read_file(b.err));
  CHECK(ca == 0);
  CHECK(cb == 0);
  // Every pair, the starved ones too: its own ports and run ids, nothing left.
  for (int k = 0; k <= attempt; ++k) {
    const std::string suffix = k == attempt ? "" : fmt::format(".starved{}", k + 1);
    const json::value ra = read_json(dir / ("a" + suffix) / "run.json");
    const json::value rb = read_json(dir / ("b" + suffix) / "run.json");
    CHECK(ra.at("ports").at("redis").as_int64() != rb.at("ports").at("redis").as_int64());
    CHECK(ra.at("run_id").as_string() != rb.at("run_id").as_string());
    expect_nothing_left(ra);
    expect_nothing_left(rb);
  }
}
