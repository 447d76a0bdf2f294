// Interruption: SIGINT or SIGTERM while a fault is held must revert it, stop
// the clone, write the record as interrupted, and exit 130 / 143.
#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include "harness.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

/// Waits until `file` contains `text` (the run's own progress line), polling
/// the file the run writes; false after `timeout`.
bool wait_for_text(const fs::path& file, const std::string& text, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (read_file(file).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

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
