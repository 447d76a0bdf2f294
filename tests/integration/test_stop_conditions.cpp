// Stop conditions: a [[guard]] that fails, or max_duration reached, aborts
// the run, which reverts every fault and stops the clone like an
// interruption, and says why in the record and its exit code.
#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include "harness.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

/// A scenario whose service is paused for 5 minutes (so only a stop
/// condition can end the run early), with `extra` appended.
std::string paused_scenario(const std::string& extra) {
  return R"(name = "stop"
steady_for = "50ms"
[[service]]
name = "app"
command = "echo $$ > {service.dir}/pid; exec sleep 300"
[[probe]]
name = "alive"
kind = "exec"
command = "true"
interval = "20ms"
[[fault]]
name = "freeze"
kind = "process.pause"
target = "app"
duration = "5m"
)" + extra;
}

/// The record's fault must have been reverted and the clone stopped.
void check_reverted_and_stopped(const TempDir& dir, const json::value& rec) {
  const auto& fault = rec.at("faults").as_array().at(0);
  CHECK_FALSE(fault.at("revert_ns").is_null());
  CHECK(fault.at("ok").as_bool());
  CHECK(rec.at("left_behind").as_array().empty());
  const pid_t app = static_cast<pid_t>(std::stol(read_file(dir / "run" / "services" / "app" / "pid")));
  CHECK(live_in_groups({app}).empty());
  CHECK(read_json(dir / "run" / "ledger.json").at("finished").as_bool());
}

}  // namespace

TEST_CASE("stop conditions: a guard that fails aborts the run, reverts the fault, and fails it (exit 1)") {
  TempDir dir;
  const fs::path file = dir / "guard.toml";
  // The guard watches for a file that appears while the fault is held (as
  // an order service that must never lose an order would).
  write_file(file, paused_scenario(fmt::format(R"(
[[guard]]
name = "no-lost-orders"
kind = "exec"
command = "test ! -e {}/lost-order"
interval = "20ms"
)",
                                               dir.path.string())));
  Spawned run = spawn({faultline_bin(), "run", file.string(), "--out", (dir / "run").string()}, dir.path, "run", {},
                      {"FAULTLINE_TEST_BLOCK_IN=hold"});
  REQUIRE_MESSAGE(wait_for_text(run.err, "faultline-test-hook: in hold", std::chrono::seconds(30)), read_file(run.err));
  const auto breached_at = std::chrono::steady_clock::now();
  write_file(dir / "lost-order", "1\n");
  const int code = wait_for(run, std::chrono::seconds(30));
  const auto took = std::chrono::steady_clock::now() - breached_at;
  INFO(read_file(run.out) << read_file(run.err));
  CHECK(code == 1);
  CHECK(took < std::chrono::seconds(10));  // not the 5 minutes of the hold
  CHECK(read_file(run.err).find("guard 'no-lost-orders' failed") != std::string::npos);
  const json::value rec = read_json(dir / "run" / "run.json");
  CHECK(rec.at("outcome").as_string() == "failed");
  CHECK(rec.at("exit_code").as_int64() == 1);
  CHECK(std::string(rec.at("error").as_string()).find("guard 'no-lost-orders' failed") != std::string::npos);
  bool found = false;
  for (const auto& v : rec.at("verdicts").as_array())
    if (v.at("threshold").as_string() == "guard") {
      found = true;
      CHECK(v.at("scope").as_string() == "no-lost-orders");
      CHECK_FALSE(v.at("passed").as_bool());
      CHECK(std::string(v.at("detail").as_string()).find("aborted") != std::string::npos);
    }
  CHECK(found);
  check_reverted_and_stopped(dir, rec);
}

TEST_CASE("stop conditions: a guard's timeout that fell due while the harness was stopped (SIGSTOP) is not a breach") {
  TempDir dir;
  const fs::path file = dir / "guard.toml";
  const fs::path hold = dir / "hold-guard";
  // The guard's command answers in 50 ms, or, while `hold` exists, when it
  // is removed: a sample in flight across the stop is still waiting when
  // the harness runs again, and its 300 ms timeout is long past.
  write_file(file, paused_scenario(fmt::format(R"(
[[guard]]
name = "fine"
kind = "exec"
command = "sleep 0.05; while [ -e {} ]; do sleep 0.01; done"
interval = "20ms"
timeout = "300ms"
)",
                                               hold.string())));
  Spawned run = spawn({faultline_bin(), "run", file.string(), "--out", (dir / "run").string()}, dir.path, "run", {},
                      {"FAULTLINE_TEST_BLOCK_IN=hold"});
  REQUIRE_MESSAGE(wait_for_text(run.err, "faultline-test-hook: in hold", std::chrono::seconds(30)), read_file(run.err));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  write_file(hold, "1\n");
  REQUIRE(::kill(run.pid, SIGSTOP) == 0);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  REQUIRE(::kill(run.pid, SIGCONT) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  fs::remove(hold);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the guard's next samples, the system's own answers
  ::kill(run.pid, SIGINT);
  const int code = wait_for(run, std::chrono::seconds(30));
  const std::string err = read_file(run.err);
  INFO("exit " << code << "\n" << read_file(run.out) << err);
  CHECK(code == 130);  // interrupted by the test, not failed by a breach (exit 1)
  CHECK(err.find("guard 'fine' failed") == std::string::npos);
  const json::value rec = read_json(dir / "run" / "run.json");
  CHECK(rec.at("outcome").as_string() == "interrupted");
  check_reverted_and_stopped(dir, rec);
}

TEST_CASE("stop conditions: a guard that holds passes with its sample count") {
  TempDir dir;
  const fs::path file = dir / "guard.toml";
  write_file(file, R"(name = "ok"
steady_for = "50ms"
[[service]]
name = "app"
command = "exec sleep 300"
[[probe]]
name = "alive"
kind = "exec"
command = "true"
interval = "20ms"
[[guard]]
name = "fine"
kind = "exec"
command = "true"
interval = "20ms"
timeout = "1s"
[[fault]]
name = "freeze"
kind = "process.pause"
target = "app"
duration = "100ms"
)");
  // The guard's timeout is 1 s, not its 20 ms interval: starting `true`
  // under ASan took longer than 20 ms once, with the integration suite's
  // other shard beside it, and the guard rightly failed; how fast a guard
  // answers is not what this test checks.
  Result r = faultline(dir, {"run", file.string(), "--out", (dir / "run").string()});
  INFO(r.out << r.err);
  // A starved harness (this suite beside other jobs) makes the run
  // inconclusive, and says so: that is the honest outcome, not this test's
  // failure; the guard's verdict is still there and still passes.
  const bool starved = r.code == 3 && r.out.find("WARNING: the harness was starved") != std::string::npos;
  if (starved) MESSAGE("the harness was starved: inconclusive (exit 3), as it must be");
  CHECK((r.code == 0 || starved));
  const json::value rec = read_json(dir / "run" / "run.json");
  bool found = false;
  for (const auto& v : rec.at("verdicts").as_array())
    if (v.at("threshold").as_string() == "guard") {
      found = true;
      CHECK(v.at("passed").as_bool());
      CHECK(std::string(v.at("measured").as_string()).find(", 0 failed") != std::string::npos);
    }
  CHECK(found);
}

TEST_CASE("stop conditions: max_duration aborts the run, reverts the fault, and makes it inconclusive (exit 3)") {
  TempDir dir;
  const fs::path file = dir / "bounded.toml";
  write_file(file, "max_duration = \"1500ms\"\n" + paused_scenario(""));
  const auto started = std::chrono::steady_clock::now();
  Result r = faultline(dir, {"run", file.string(), "--out", (dir / "run").string()}, std::chrono::seconds(60));
  const auto took = std::chrono::steady_clock::now() - started;
  INFO(r.out << r.err);
  CHECK(r.code == 3);
  CHECK(took >= std::chrono::milliseconds(1500));
  CHECK(took < std::chrono::seconds(30));
  const json::value rec = read_json(dir / "run" / "run.json");
  CHECK(rec.at("outcome").as_string() == "inconclusive");
  CHECK(std::string(rec.at("error").as_string()).find("max_duration 1.5s reached") != std::string::npos);
  check_reverted_and_stopped(dir, rec);
}
