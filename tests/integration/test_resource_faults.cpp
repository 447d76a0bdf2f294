// Resource faults (issue 20) end to end: the Redis OOM drill and its
// counter-case, and what validation refuses before anything is made.
#include <doctest/doctest.h>

#include <unistd.h>

#include "checks.hpp"
#include "harness.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

std::string variant(const std::string& file, const std::string& from, const std::string& to) {
  std::string text = read_file(source_root() / "scenarios" / file);
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not in " << file);
  text.replace(at, from.size(), to);
  return text;
}

/// How many times the record says `service` exited killed by SIGKILL.
int sigkills(const json::value& rec, const std::string& service) {
  int n = 0;
  for (const auto& e : rec.at("service_events").as_array())
    if (e.at("service").as_string() == service && e.at("what").as_string() == "exited" &&
        std::string(e.at("detail").as_string()).find("SIGKILL") != std::string::npos)
      ++n;
  return n;
}

}  // namespace

TEST_CASE("resource faults: Redis OOM-killed under a lowered memory limit restarts from its AOF and loses nothing") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: resource.memory needs root");
    return;
  }
  TempDir dir;
  const fs::path scenario = source_root() / "scenarios" / "redis-oom.toml";
  Result r = itest::faultline(dir, {"run", scenario.string(), "--out", (dir / "run").string()});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 0);
  const json::value rec = read_json(dir / "run" / "run.json");
  CHECK(rec.at("iterations").as_array().at(0).at("recovered").as_bool());
  CHECK(sigkills(rec, "redis") >= 1);  // the kernel's OOM kill, seen by the restart policy
  CHECK(rec.at("workloads").as_array().at(0).at("lost").as_int64() == 0);
  expect_nothing_left(rec);
}

TEST_CASE("resource faults: the OOM counter-case, Redis without persistence: everything acknowledged is lost, exit 1") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: resource.memory needs root");
    return;
  }
  TempDir dir;
  const fs::path file = dir / "volatile.toml";
  write_file(file, variant("redis-oom.toml", "\"--appendonly\", \"yes\"", "\"--appendonly\", \"no\""));
  Result r = itest::faultline(dir, {"run", file.string(), "--out", (dir / "run").string(), "--quiet"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 1);
  const json::value rec = read_json(dir / "run" / "run.json");
  const auto* loss = find_verdict(rec, "max_data_loss");
  REQUIRE(loss);
  CHECK_FALSE(loss->at("passed").as_bool());
  CHECK(sigkills(rec, "redis") >= 1);
}

TEST_CASE("resource faults: a share or a limit that does not parse: file:line:col, exit 2, no cgroup made") {
  TempDir dir;
  const fs::path file = dir / "bad.toml";
  write_file(file, R"(name = "bad"
[[service]]
name = "s"
command = ["sleep", "30"]
[[fault]]
kind = "resource.cpu"
target = "s"
share = "ten percent"
duration = "1s"
[[fault]]
kind = "resource.memory"
target = "s"
limit = "lots"
duration = "1s"
)");
  Result r = itest::faultline(dir, {"run", file.string(), "--out", (dir / "run").string()});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 2);
  const std::string said = r.out + r.err;
  CHECK(said.find(file.string() + ":8:9: ") != std::string::npos);
  CHECK(said.find("invalid share 'ten percent'") != std::string::npos);
  CHECK(said.find(file.string() + ":13:9: ") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "run" / "ledger.json"));
}
