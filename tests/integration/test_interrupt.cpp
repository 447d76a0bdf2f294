// Interruption: SIGINT or SIGTERM while a fault is held must revert it, stop
// the clone, write the record as interrupted, and exit 130 / 143.
#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include <fmt/format.h>

#include "harness.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

void interrupt_while_holding(int sig, int expected_code) {
  TempDir dir;
  const fs::path file = dir / "hold.toml";
  write_file(file, R"(name = "hold"
steady_for = "100ms"
[[service]]
name = "app"
command = "echo $$ > {service.dir}/pid; exec sleep 300"
[[probe]]
name = "alive"
kind = "exec"
command = "true"
interval = "20ms"
timeout = "1s"
[[fault]]
name = "freeze"
kind = "process.pause"
target = "app"
duration = "5m"
)");
  Spawned run = spawn({faultline_bin(), "run", file.string(), "--out", (dir / "run").string()}, dir.path, "run");
  REQUIRE_MESSAGE(wait_for_text(run.out, "inject freeze", std::chrono::seconds(30)), read_file(run.out));
  ::kill(run.pid, sig);
  const int code = wait_for(run, std::chrono::seconds(30));
  INFO(read_file(run.out) << read_file(run.err));
  CHECK(code == expected_code);
  const std::string out = read_file(run.out);
  CHECK(out.find("revert freeze") != std::string::npos);
  CHECK(out.find("INTERRUPTED") != std::string::npos);
  const json::value rec = read_json(dir / "run" / "run.json");
  CHECK(rec.at("outcome").as_string() == "interrupted");
  CHECK(rec.at("exit_code").as_int64() == expected_code);
  const auto& fault = rec.at("faults").as_array().at(0);
  CHECK_FALSE(fault.at("revert_ns").is_null());
  CHECK(fault.at("ok").as_bool());
  CHECK(rec.at("left_behind").as_array().empty());
  const pid_t app = static_cast<pid_t>(std::stol(read_file(dir / "run" / "services" / "app" / "pid")));
  CHECK_FALSE(process_exists(app));
  CHECK(processes_in_groups({app}).empty());
}

}  // namespace

TEST_CASE("interrupt: SIGINT while a pause is held reverts it, stops the clone, exits 130") {
  interrupt_while_holding(SIGINT, 130);
}

TEST_CASE("interrupt: SIGTERM while a pause is held reverts it, stops the clone, exits 143") {
  interrupt_while_holding(SIGTERM, 143);
}

namespace {

/// Starts a run that pauses its service for 5 minutes and returns once the
/// pause is applied, with the service's pid and the run's ledger.
struct HeldRun {
  Spawned run;
  pid_t app = 0;
  json::value ledger;
};

HeldRun start_held_run(const TempDir& dir) {
  const fs::path file = dir / "hold.toml";
  // The service ignores SIGHUP, as servers that reload on it do: when the
  // harness dies, its process group is orphaned and the kernel sends it
  // SIGHUP and SIGCONT, which it survives, left running without supervision.
  write_file(file, R"(name = "hold"
steady_for = "100ms"
[[service]]
name = "app"
command = "trap '' HUP; echo $$ > {service.dir}/pid; sleep 300 & exec sleep 300"
[[probe]]
name = "alive"
kind = "exec"
command = "true"
interval = "20ms"
timeout = "1s"
[[fault]]
name = "freeze"
kind = "process.pause"
target = "app"
duration = "5m"
)");
  HeldRun h;
  h.run = spawn({faultline_bin(), "run", file.string(), "--out", (dir / "run").string()}, dir.path, "run");
  REQUIRE_MESSAGE(wait_for_text(h.run.out, "inject freeze", std::chrono::seconds(30)), read_file(h.run.out));
  h.app = static_cast<pid_t>(std::stol(read_file(dir / "run" / "services" / "app" / "pid")));
  h.ledger = read_json(dir / "run" / "ledger.json");
  return h;
}

}  // namespace

TEST_CASE("interrupt: after SIGKILL of the harness, the watchdog alone resumes and stops the clone within 1 s") {
  TempDir dir;
  HeldRun h = start_held_run(dir);
  CHECK(state_of(h.app) == 'T');  // paused
  const auto group = processes_in_groups({h.app});
  REQUIRE(group.size() == 2);
  ::kill(h.run.pid, SIGKILL);
  const auto killed_at = std::chrono::steady_clock::now();
  CHECK(wait_for(h.run, std::chrono::seconds(5)) == 128 + SIGKILL);
  // Poll /proc for the clone to be gone, with the 1 s budget of the issue.
  CHECK(groups_gone_by({h.app}, killed_at + std::chrono::milliseconds(1000)));
  // The watchdog reverted first (SIGCONT), then stopped the clone, and
  // resolved the ledger.
  REQUIRE(wait_for_text(dir / "run" / "logs" / "watchdog.log", "SIGKILL to process group", std::chrono::seconds(5)));
  const std::string log = read_file(dir / "run" / "logs" / "watchdog.log");
  CHECK(log.find("fault 'freeze': SIGCONT") != std::string::npos);
  CHECK(log.find("LEFT BEHIND") == std::string::npos);
  CHECK(read_json(dir / "run" / "ledger.json").at("finished").as_bool());
  // No ledger is left in the state directory, only the note of who resolved it.
  const std::string run_id(h.ledger.at("run_id").as_string());
  std::string left;
  for (const auto& e : fs::directory_iterator(dir / "state"))
    if (e.path().filename() != run_id + ".cleaned") left += e.path().filename().string() + " ";
  CHECK_MESSAGE(left.empty(), "left in the state directory: " << left);
  // `cleanup --run ID` afterwards says the watchdog did it, and succeeds.
  Result clean = faultline(dir, {"cleanup", "--run", run_id});
  INFO(clean.out << clean.err);
  CHECK(clean.code == 0);
  CHECK(clean.out.find("run " + run_id + ": already cleaned up by the watchdog at ") != std::string::npos);
  CHECK(clean.out.find("run directory " + (dir / "run").string()) != std::string::npos);
  // An id no run had is still a usage error.
  Result unknown = faultline(dir, {"cleanup", "--run", "no-such-run"});
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("no ledger for run 'no-such-run'") != std::string::npos);
}

TEST_CASE("interrupt: after SIGKILL of the harness, the watchdog stops the commands it had in flight") {
  // An exec fault's apply and an exec probe, both hanging, when the harness
  // dies: neither is a service of the ledger, yet both belong to the run.
  TempDir dir;
  const fs::path file = dir / "inflight.toml";
  write_file(file, R"(name = "inflight"
steady_for = "100ms"
[[service]]
name = "app"
command = "echo $$ > {service.dir}/pid; exec sleep 300"
[[probe]]
name = "slow"
kind = "exec"
steady_state = false
command = "echo $$ > {run.dir}/probe.pid; exec sleep 300"
interval = "1s"
timeout = "10m"
[[fault]]
name = "hang"
kind = "exec"
apply = "echo $$ > {run.dir}/apply.pid; exec sleep 300"
revert = "true"
timeout = "10m"
duration = "1s"
)");
  Spawned run = spawn({faultline_bin(), "run", file.string(), "--out", (dir / "run").string()}, dir.path, "run");
  const fs::path apply_pid = dir / "run" / "apply.pid", probe_pid = dir / "run" / "probe.pid";
  REQUIRE_MESSAGE(wait_for_text(apply_pid, "\n", std::chrono::seconds(30)), read_file(run.out) << read_file(run.err));
  REQUIRE(wait_for_text(probe_pid, "\n", std::chrono::seconds(5)));
  const pid_t apply = static_cast<pid_t>(std::stol(read_file(apply_pid)));
  const pid_t probe = static_cast<pid_t>(std::stol(read_file(probe_pid)));
  const pid_t app = static_cast<pid_t>(std::stol(read_file(dir / "run" / "services" / "app" / "pid")));
  REQUIRE(live_in_groups({apply, probe, app}).size() == 3);
  ::kill(run.pid, SIGKILL);
  const auto killed_at = std::chrono::steady_clock::now();
  CHECK(wait_for(run, std::chrono::seconds(5)) == 128 + SIGKILL);
  // Poll /proc, with the 1 s budget of the watchdog.
  CHECK(groups_gone_by({apply, probe, app}, killed_at + std::chrono::milliseconds(1000)));
  REQUIRE(wait_for_text(dir / "run" / "logs" / "watchdog.log", "SIGKILL to process group", std::chrono::seconds(5)));
  const std::string log = read_file(dir / "run" / "logs" / "watchdog.log");
  INFO(log);
  CHECK(log.find(fmt::format("process group {}: SIGKILL (a command the harness had running)", apply)) !=
        std::string::npos);
  CHECK(log.find(fmt::format("process group {}: SIGKILL (a command the harness had running)", probe)) !=
        std::string::npos);
  // The in-flight apply was stopped before the revert ran from the ledger.
  CHECK(log.find(fmt::format("process group {}", apply)) < log.find("fault 'hang'"));
  CHECK(log.find("LEFT BEHIND") == std::string::npos);
}

TEST_CASE("interrupt: with harness and watchdog both SIGKILLed, run refuses to start and faultline cleanup resolves it") {
  TempDir dir;
  HeldRun h = start_held_run(dir);
  const pid_t watchdog = static_cast<pid_t>(h.ledger.at("watchdog_pid").as_int64());
  REQUIRE(watchdog > 0);
  ::kill(watchdog, SIGKILL);
  ::kill(h.run.pid, SIGKILL);
  CHECK(wait_for(h.run, std::chrono::seconds(5)) == 128 + SIGKILL);
  // Nobody stopped the clone: it is left running without its harness.
  CHECK(live_in_groups({h.app}).size() == 2);

  // A new run is refused, and says how to resolve it.
  const std::string run_id(h.ledger.at("run_id").as_string());
  Result refused = faultline(dir, {"run", (dir / "hold.toml").string(), "--out", (dir / "second").string()});
  CHECK(refused.code == 2);
  CHECK(refused.err.find("faultline cleanup --run " + run_id) != std::string::npos);
  CHECK(live_in_groups({h.app}).size() == 2);  // and touched nothing
  CHECK_FALSE(fs::exists(dir / "second"));

  Result clean = faultline(dir, {"cleanup", "--run", run_id});
  INFO(clean.out << clean.err);
  CHECK(clean.code == 0);
  CHECK(clean.out.find("fault 'freeze'") != std::string::npos);
  CHECK(clean.out.find("service 'app': SIGKILL to process group") != std::string::npos);
  CHECK(groups_gone_by({h.app}, std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  // Idempotent: a second cleanup finds nothing left, and one of the same run says who did it.
  Result again = faultline(dir, {"cleanup"});
  CHECK(again.code == 0);
  CHECK(again.out.find("nothing to clean up") != std::string::npos);
  Result same = faultline(dir, {"cleanup", "--run", run_id});
  CHECK(same.code == 0);
  CHECK(same.out.find("already cleaned up by faultline cleanup at ") != std::string::npos);
}

TEST_CASE("interrupt: a third SIGINT during a slow revert exits at once, says what is left, and the watchdog finishes") {
  TempDir dir;
  const fs::path file = dir / "slow.toml";
  // The revert command is slow the first time only (the harness's own
  // attempt); when the watchdog runs it again from the ledger it is quick.
  write_file(file, R"(name = "slow-revert"
steady_for = "50ms"
[[service]]
name = "app"
command = "trap '' HUP; echo $$ > {service.dir}/pid; exec sleep 300"
[[probe]]
name = "alive"
kind = "exec"
command = "true"
interval = "20ms"
[[fault]]
name = "break"
kind = "exec"
apply = ["touch", "{run.dir}/applied"]
revert = ["sh", "-c", "if [ ! -e {run.dir}/revert-started ]; then echo $$ > {run.dir}/revert-started; sleep 300; fi; rm -f {run.dir}/applied"]
duration = "5m"
)");
  const fs::path run_dir = dir / "run";
  Spawned run = spawn({faultline_bin(), "run", file.string(), "--out", run_dir.string()}, dir.path, "run", {},
                      {"FAULTLINE_TEST_BLOCK_IN=hold"});
  REQUIRE_MESSAGE(wait_for_text(run.err, "faultline-test-hook: in hold", std::chrono::seconds(30)), read_file(run.err));
  REQUIRE(fs::exists(run_dir / "applied"));
  const pid_t app = static_cast<pid_t>(std::stol(read_file(run_dir / "services" / "app" / "pid")));
  const pid_t watchdog = static_cast<pid_t>(read_json(run_dir / "ledger.json").at("watchdog_pid").as_int64());

  ::kill(run.pid, SIGINT);
  // The harness's revert is now running, and will not finish by itself.
  REQUIRE(wait_for_text(run_dir / "revert-started", "\n", std::chrono::seconds(10)));
  const pid_t revert_cmd = static_cast<pid_t>(std::stol(read_file(run_dir / "revert-started")));
  ::kill(run.pid, SIGINT);
  REQUIRE_MESSAGE(wait_for_text(run.err, "again: still reverting", std::chrono::seconds(10)), read_file(run.err));
  CHECK(process_exists(run.pid));  // the second signal did not skip the revert
  ::kill(run.pid, SIGINT);
  CHECK(wait_for(run, std::chrono::seconds(5)) == 130);
  const std::string err = read_file(run.err);
  INFO(err);
  CHECK(err.find("third signal") != std::string::npos);
  CHECK(err.find("LEFT APPLIED: fault 'break' (exec)") != std::string::npos);
  CHECK(err.find(fmt::format("the watchdog (pid {})", watchdog)) != std::string::npos);
  // Nothing of the harness's is left running: not the clone, not the revert
  // command it was waiting on.
  // (The kernel delivers SIGKILL to each on its own schedule: poll.)
  CHECK(groups_gone_by({app, revert_cmd}, std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  // The watchdog reverts from the ledger the harness left unresolved.
  REQUIRE(wait_for_text(run_dir / "logs" / "watchdog.log", "ran its revert command", std::chrono::seconds(10)));
  CHECK_FALSE(fs::exists(run_dir / "applied"));
  CHECK(read_json(run_dir / "ledger.json").at("finished").as_bool());
}
