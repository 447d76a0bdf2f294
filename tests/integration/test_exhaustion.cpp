// Issue 16, the findings of a run on a failing machine, each reproduced and
// shown fixed: the revert with the run directory's disk full and with
// descriptors exhausted (it hung, deaf to signals, and the watchdog left the
// paused service running), the restart race (a service spawned just before
// a SIGKILL of the harness, not yet in the ledger), descendants that leave
// their service's process group (setsid), and the results of a run whose
// --out fills up at the end. Real processes, a real tmpfs (mounted by the
// test: root only, like the namespace tests).
#include <doctest/doctest.h>

#include <random>

#include "exhaustion.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

/// A paused flaky server, probed; `marker` (a unique word) is in every
/// process of the clone's command line, so the test finds them by it.
std::string pause_scenario(const fs::path& dir, const std::string& marker, const std::string& duration,
                           const std::string& app_prefix = "") {
  return fmt::format(R"(name = "exhaustion"
steady_for = "30ms"
steady_timeout = "20s"
max_duration = "60s"
[[service]]
name = "app"
command = "trap '' HUP; {prefix}exec {server} --port {{port.app}} --events {events}"
ports = ["app"]
[service.ready]
kind = "tcp"
port = "{{port.app}}"
[[probe]]
name = "tcp"
kind = "tcp"
port = "{{port.app}}"
interval = "10ms"
timeout = "500ms"
[[fault]]
name = "f"
kind = "process.pause"
target = "app"
duration = "{duration}"
)",
                     fmt::arg("server", flaky_server_bin()), fmt::arg("events", (dir / (marker + ".events")).string()),
                     fmt::arg("duration", duration), fmt::arg("prefix", app_prefix));
}

std::string unique_marker(const std::string& what) {
  static std::atomic<int> n{0};
  return fmt::format("fl-{}-{}-{}", what, ::getpid(), ++n);
}

/// Unresolved ledgers in a state directory (what makes the next run refuse).
int ledgers_in(const fs::path& state) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(state, ec)) n += e.path().extension() == ".json" ? 1 : 0;
  return n;
}

/// Unresolved ledgers left after waiting up to `timeout` for none: after a
/// SIGKILL the watchdog resolves the ledger once its own work is done, as
/// the fault matrix's columns allow it.
int ledgers_after(const fs::path& state, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  int n = ledgers_in(state);
  while (n != 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    n = ledgers_in(state);
  }
  return n;
}

}  // namespace

TEST_CASE("exhaustion: the run directory's disk full while a pause is held: the revert goes on, signals work, nothing left") {
  for (const int sig : {SIGINT, SIGTERM, SIGKILL}) {
    CAPTURE(sig);
    TempDir dir;
    Tmpfs disk(dir / "state", "1m");  // the state directory and the run directory on one small disk
    const std::string marker = unique_marker("disk");
    write_file(dir / "s.toml", pause_scenario(dir.path, marker, "5m"));
    Spawned run = spawn({faultline_bin(), "run", (dir / "s.toml").string(), "--out", (dir / "state" / "run").string()},
                        dir.path, "run", {}, {"FAULTLINE_TEST_BLOCK_IN=hold"});
    REQUIRE(wait_for_text(run.err, "faultline-test-hook: in hold", seconds(60)));
    REQUIRE(processes_with_args({marker}).size() == 1);
    CHECK(state_of(processes_with_args({marker})[0]) == 'T');
    fill_disk(dir / "state");
    ::kill(run.pid, sig);
    const auto t0 = Clock::now();
    const int code = wait_for(run, seconds(20));  // -1: it hung (the finding)
    CHECK(Clock::now() - t0 < seconds(10));
    CHECK(code == 128 + sig);
    // The run says what it could not record; the record could not be written either.
    if (sig != SIGKILL) CHECK(read_file(run.err).find("crash ledger") != std::string::npos);
    // The service was resumed and stopped: by the run, or by the watchdog
    // after a SIGKILL (it had left it running under PID 1).
    CHECK(wait_gone({marker}, seconds(5)).empty());
    CHECK(ledgers_after(dir / "state", seconds(5)) == 0);  // the next run starts without cleanup
    INFO(read_file(run.err));
  }
}

TEST_CASE("exhaustion: descriptors exhausted (ulimit -n 64, and none free at the hold): the revert goes on, nothing left") {
  for (const bool from_start : {true, false}) {
    CAPTURE(from_start);
    TempDir dir;
    const std::string marker = unique_marker("fds");
    write_file(dir / "s.toml", pause_scenario(dir.path, marker, "5m"));
    std::vector<std::string> argv{faultline_bin(), "run", (dir / "s.toml").string(), "--out", (dir / "run").string()};
    if (from_start) argv.insert(argv.begin(), {"prlimit", "--nofile=64:64", "--"});
    Spawned run = spawn(argv, dir.path, "run", {}, {"FAULTLINE_TEST_BLOCK_IN=hold"});
    REQUIRE(wait_for_text(run.err, "faultline-test-hook: in hold", seconds(60)));
    REQUIRE(processes_with_args({marker}).size() == 1);
    if (!from_start) REQUIRE(exhaust_descriptors(run.pid) > 0);
    ::kill(run.pid, SIGINT);
    const auto t0 = Clock::now();
    const int code = wait_for(run, seconds(20));
    CHECK(Clock::now() - t0 < seconds(10));
    CHECK(code == 130);
    CHECK(wait_gone({marker}, seconds(5)).empty());
    CHECK(ledgers_after(dir / "state", seconds(5)) == 0);
    INFO(read_file(run.err));
  }
}

TEST_CASE("exhaustion: SIGKILL of the harness during a restart every 5 ms leaves no service running (200 tries)") {
  // The finding: the freshly spawned service was not yet in the ledger in
  // 4 of about 40 tries. The run's cgroup holds it from its first
  // instruction; the watchdog kills the cgroup.
  const int tries = std::getenv("FAULTLINE_RACE_TRIES") ? std::atoi(std::getenv("FAULTLINE_RACE_TRIES")) : 200;
  // The first 40 tries run the faultline under test (sanitized in CI), the
  // rest the optimized one when CI names it (FAULTLINE_OPTIMIZED_BIN, as
  // the fault matrix's repeated cells): 200 sanitized tries took 118 s of
  // CI, at 0.59 s a try against 0.08 s optimized.
  constexpr int kSanitizedTries = 40;
  std::atomic<int> next{0}, left{0}, broken{0};
  std::mutex m;
  std::string details;
  auto one = [&](int i) {
    TempDir dir;
    const std::string marker = unique_marker("race");
    write_file(dir / "s.toml", fmt::format(R"(name = "race"
steady_for = "10ms"
steady_timeout = "20s"
[[service]]
name = "app"
command = "trap '' HUP; exec {server} --port {{port.app}} --events {events}"
ports = ["app"]
stop_grace = "10ms"
[service.ready]
kind = "tcp"
port = "{{port.app}}"
interval = "1ms"
[[probe]]
name = "tcp"
kind = "tcp"
port = "{{port.app}}"
interval = "10ms"
[[fault]]
name = "churn"
kind = "process.restart"
target = "app"
repeat = 100000
every = "5ms"
)",
                                           fmt::arg("server", flaky_server_bin()),
                                           fmt::arg("events", (dir / (marker + ".events")).string())));
    const std::string bin = i < kSanitizedTries ? faultline_bin() : optimized_faultline_bin();
    Spawned run = spawn({bin, "run", (dir / "s.toml").string(), "--out", (dir / "run").string()}, dir.path, "run");
    if (!wait_for_text(run.out, "inject churn", seconds(60))) {
      ::kill(run.pid, SIGKILL);
      wait_for(run, seconds(5));
      ++broken;
      return;
    }
    const json::value ledger = read_json(dir / "run" / "ledger.json");
    const auto watchdog = static_cast<pid_t>(ledger.at("watchdog_pid").as_int64());
    const std::string cgroup(ledger.at("cgroup").as_string());
    std::mt19937 rng(static_cast<unsigned>(i));
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(0, 60)(rng)));
    ::kill(run.pid, SIGKILL);
    wait_for(run, seconds(5));
    // The watchdog's work is done when it is gone (the directory it reads
    // the ledger from is removed after this try).
    for (const auto deadline = Clock::now() + seconds(35); Clock::now() < deadline;) {
      if (const char st = state_of(watchdog); st == '-' || st == 'Z') break;
      std::this_thread::sleep_for(milliseconds(5));
    }
    auto l = wait_gone({marker}, seconds(5));
    const bool cgroup_left = !cgroup.empty() && fs::exists(cgroup);
    if (!l.empty() || cgroup_left) {
      ++left;
      std::lock_guard lock(m);
      details += fmt::format("try {}: {} process(es) left{}\n", i, l.size(), cgroup_left ? ", and the cgroup" : "");
      for (pid_t p : l) ::kill(p, SIGKILL);
    }
  };
  std::vector<std::thread> workers;
  const auto t0 = Clock::now();
  for (int j = 0; j < 4; ++j)
    workers.emplace_back([&] {
      for (int i = next++; i < tries; i = next++) one(i);
    });
  for (auto& w : workers) w.join();
  MESSAGE(fmt::format("restart race: {} tries, {} left something, {} never reached the restarts, {:.1f} s", tries,
                      left.load(), broken.load(),
                      std::chrono::duration<double>(Clock::now() - t0).count()));
  CHECK_MESSAGE(left == 0, details);
  CHECK(broken == 0);
}

TEST_CASE("exhaustion: a descendant that leaves its service's process group is stopped and reported") {
  for (const bool sigkill : {false, true}) {
    CAPTURE(sigkill);
    TempDir dir;
    const std::string marker = unique_marker("setsid");
    const std::string escapee = "sleep 3" + std::to_string(::getpid() % 1000) + "1";  // a unique argv
    write_file(dir / "s.toml",
               pause_scenario(dir.path, marker, "5m", fmt::format("setsid -f sh -c 'trap \\\"\\\" HUP; exec {}' ; ", escapee)));
    Spawned run = spawn({faultline_bin(), "run", (dir / "s.toml").string(), "--out", (dir / "run").string()},
                        dir.path, "run", {}, {"FAULTLINE_TEST_BLOCK_IN=hold"});
    REQUIRE(wait_for_text(run.err, "faultline-test-hook: in hold", seconds(60)));
    REQUIRE(processes_with_args({escapee}).size() == 1);
    ::kill(run.pid, sigkill ? SIGKILL : SIGINT);
    CHECK(wait_for(run, seconds(20)) == (sigkill ? 128 + SIGKILL : 130));
    CHECK(wait_gone({escapee}, seconds(5)).empty());
    CHECK(wait_gone({marker}, seconds(5)).empty());
    if (!sigkill) CHECK(read_file(run.err).find("had left their service's process group") != std::string::npos);
    INFO(read_file(run.err));
  }
}

TEST_CASE("exhaustion: --out fills up at the end: the summary first, run.json first, each failure named, exit 4") {
  // The findings: 40 KB free printed no summary at all; 90 KB free printed
  // PASSED, exited 4 and never tried junit.xml and summary.md. This run's
  // record is smaller (a short run), so the same two cases are 0 KB (the
  // record itself fails) and 16 KB (some files fit, some do not).
  for (const std::size_t free_kb : {0, 16}) {
    CAPTURE(free_kb);
    TempDir dir;
    Tmpfs disk(dir / "out", "2m");
    const std::string marker = unique_marker("results");
    write_file(dir / "s.toml", pause_scenario(dir.path, marker, "300ms"));
    Spawned run = spawn({faultline_bin(), "run", (dir / "s.toml").string(), "--out", (dir / "out" / "run").string()},
                        dir.path, "run");
    // Filled after the revert, once the crash ledger's last rewrite before
    // the end is done: that rewrite allocates a new copy and renames it over
    // the old one, whose 64 KB come free when it is closed. Filled while it
    // ran (at "inject f"), the disk had those 64 KB again and every file
    // fitted (seen once in CI: PASSED, exit 0).
    REQUIRE(wait_for_text(run.out, "revert f", seconds(60)));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    fill_disk(dir / "out", free_kb * 1024);
    const int code = wait_for(run, seconds(30));
    const std::string out = read_file(run.out), err = read_file(run.err);
    INFO(out, err);
    CHECK(out.find("recovery time") != std::string::npos);  // the summary's figures, before any file
    CHECK(out.find("HARNESS ERROR (exit 4)") != std::string::npos);  // the headline, last: never PASSED with exit 4
    CHECK(out.find("PASSED") == std::string::npos);
    const bool record = fs::exists(dir / "out" / "run" / "run.json");
    int missing = record ? 0 : 1;
    if (!record) CHECK(err.find("the record was not written") != std::string::npos);
    for (const char* name : {"report.html", "junit.xml", "summary.md"}) {
      if (fs::exists(dir / "out" / "run" / name)) continue;
      ++missing;
      CHECK(err.find(name) != std::string::npos);  // each failure named
    }
    CHECK(missing > 0);  // the disk was full enough to matter
    CHECK(code == 4);
    CHECK(err.find("results were not all saved") != std::string::npos);
    CHECK(wait_gone({marker}, seconds(5)).empty());
  }
}
