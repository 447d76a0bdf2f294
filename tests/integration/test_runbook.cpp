// Runbook steps and data-loss accounting against real Debian-packaged
// systems: the PostgreSQL failover drill (a runbook step promotes the
// streaming replica; a workload proves which acknowledged INSERTs survived)
// and its broken-runbook counter-case; Redis killed under a TCP workload,
// durable (appendonly yes, appendfsync always: zero loss) and not (AOF off:
// the loss is counted and spanned). Every record is checked against the
// JSON Schema and read back by `faultline report`.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fmt/format.h>

#include "../unit/report_fixtures.hpp"
#include "checks.hpp"
#include "harness.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

/// The scenario text with `from` replaced by `to` (which must occur).
std::string variant(const std::string& file, const std::string& from, const std::string& to) {
  std::string text = read_file(source_root() / "scenarios" / file);
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not in " << file);
  text.replace(at, from.size(), to);
  return text;
}

void expect_schema_valid(const fs::path& record) {
  const auto schema = source_root() / "src/record/schema/run-record.schema.json";
  const auto r = fixtures::run_command(
      "python3 -c 'import json, sys, jsonschema; "
      "jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2]))); "
      "print(\"valid\")' " +
      fixtures::sh_quote(schema.string()) + " " + fixtures::sh_quote(record.string()));
  INFO(r.output);
  CHECK(r.status == 0);
}

/// A temp dir the postgres user can enter (mkdtemp makes it 0700): the
/// drill's data directories live under it and the server runs as postgres.
struct PgDir : TempDir {
  PgDir() { ::chmod(path.c_str(), 0755); }
};

}  // namespace

TEST_CASE("runbook: the PostgreSQL failover drill promotes the replica on detection and loses no acknowledged write") {
  PgDir dir;
  const fs::path scenario = source_root() / "scenarios" / "postgres-failover.toml";
  Result r = itest::faultline_judged(dir, {"run", scenario.string(), "--out", (dir / "run").string(), "--quiet"}, std::chrono::minutes(4));
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 0);
  const json::value rec = read_json(dir / "run" / "run.json");
  expect_schema_valid(dir / "run" / "run.json");
  REQUIRE(rec.at("iterations").as_array().size() == 1);
  const auto& it = rec.at("iterations").as_array()[0];
  CHECK(it.at("impact").as_bool());
  CHECK(it.at("recovered").as_bool());
  // The runbook step ran after detection: its start is at or after t_fail,
  // within a poll (the probe interval, 200 ms) plus scheduling slack.
  const std::int64_t t_fail = it.at("t_fail_ns").as_int64();
  const json::object* promote = nullptr;
  for (const auto& s : rec.at("steps").as_array())
    if (s.at("phase").as_string() == "recovery") promote = &s.as_object();
  REQUIRE(promote);
  CHECK(promote->at("ok").as_bool());
  CHECK(promote->at("ran").as_bool());
  CHECK(promote->at("trigger").as_string() == "detect");
  CHECK(std::string(promote->at("output").as_string()).find("server promoted") != std::string::npos);
  const std::int64_t start = promote->at("start_ns").as_int64();
  CHECK(start >= t_fail);
  const std::int64_t ttm = it.at("time_to_mitigate_ns").as_int64();
  CHECK(ttm == start - t_fail);
  CHECK(it.at("runbook_duration_ns").as_int64() == promote->at("end_ns").as_int64() - start);
  MESSAGE("time to mitigate " << ttm / 1e6 << " ms, runbook duration " << it.at("runbook_duration_ns").as_int64() / 1e6
                              << " ms, recovery time " << it.at("recovery_time_ns").as_int64() / 1e6 << " ms");
  // Recovery came with the promotion, not before: nothing else could make a
  // read-write server. A sample is dated by its start and psql connects
  // some time after that, so the bound is one probe interval early.
  CHECK(it.at("t_recover_ns").as_int64() >= start - it.at("uncertainty_ns").as_int64());
  // The workload: acknowledged INSERTs before the kill, errors during the
  // outage, and none of the acknowledged ones missing on the new primary.
  REQUIRE(rec.at("workloads").as_array().size() == 1);
  const auto& w = rec.at("workloads").as_array()[0];
  CHECK(w.at("read_ok").as_bool());
  CHECK(w.at("acknowledged").as_int64() >= 10);  // 1 s at 20 writes/s before the kill, at least half of them
  CHECK(w.at("lost").as_int64() == 0);
  CHECK(w.at("fault").at("errors").as_int64() >= 1);
  MESSAGE("workload: " << w.at("writes").as_int64() << " writes, " << w.at("acknowledged").as_int64()
                       << " acknowledged, " << w.at("fault").at("errors").as_int64() << " errors during the fault");
  for (const char* name : {"runbook", "max_data_loss", "rto", "ttd"}) {
    const auto* v = find_verdict(rec, name);
    INFO(name);
    REQUIRE(v);
    CHECK(v->at("passed").as_bool());
  }
  CHECK(r.out.find("runbook") != std::string::npos);
  expect_nothing_left(rec);
}

TEST_CASE("runbook: a runbook with a wrong command fails its runbook verdict, exit 1") {
  PgDir dir;
  const fs::path file = dir / "broken.toml";
  // A typo in the operation: pg_ctl refuses it, the replica is never promoted.
  write_file(file, variant("postgres-failover.toml", "\"promote\", \"-w\"", "\"promot\", \"-w\""));
  Result r = itest::faultline_judged(dir, {"run", file.string(), "--out", (dir / "run").string(), "--quiet"}, std::chrono::minutes(4));
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 1);
  const json::value rec = read_json(dir / "run" / "run.json");
  expect_schema_valid(dir / "run" / "run.json");
  CHECK(rec.at("outcome").as_string() == "failed");
  const auto* v = find_verdict(rec, "runbook");
  REQUIRE(v);
  CHECK_FALSE(v->at("passed").as_bool());
  CHECK(v->at("scope").as_string() == "promote replica");
  CHECK(std::string(v->at("detail").as_string()).find("exit 1") != std::string::npos);
  CHECK(r.out.find("FAIL") != std::string::npos);
  expect_nothing_left(rec);
}

TEST_CASE("data loss: Redis with appendfsync always keeps every acknowledged write; zero lost") {
  TempDir dir;
  const fs::path scenario = source_root() / "scenarios" / "redis-data-loss.toml";
  Result r = itest::faultline_judged(dir, {"run", scenario.string(), "--out", (dir / "run").string(), "--quiet"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 0);
  const json::value rec = read_json(dir / "run" / "run.json");
  expect_schema_valid(dir / "run" / "run.json");
  const auto& ws = rec.at("workloads").as_array();
  REQUIRE(ws.size() == 2);
  std::int64_t previous_last = 0;
  for (const auto& w : ws) {
    CHECK(w.at("read_ok").as_bool());
    CHECK(w.at("acknowledged").as_int64() >= 25);  // 500 ms at 100/s before the kill, at least half of them
    CHECK(w.at("lost").as_int64() == 0);
    CHECK(w.at("loss_window_ns").as_int64() == 0);
    // Sequence numbers go on across iterations: never reused.
    CHECK(w.at("first_seq").as_int64() == previous_last + 1);
    previous_last = w.at("last_seq").as_int64();
  }
  const auto* v = find_verdict(rec, "max_data_loss");
  REQUIRE(v);
  CHECK(v->at("passed").as_bool());
  CHECK(v->at("measured").as_string() == "0 writes");
  expect_nothing_left(rec);
}

TEST_CASE("data loss: Redis with the AOF off loses what it acknowledged; the workload counts it, exit 1") {
  TempDir dir;
  const fs::path file = dir / "volatile.toml";
  write_file(file, variant("redis-data-loss.toml", "\"--appendonly\", \"yes\"", "\"--appendonly\", \"no\""));
  Result r = itest::faultline_judged(dir, {"run", file.string(), "--iterations", "1", "--out", (dir / "run").string(), "--quiet"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 1);
  const json::value rec = read_json(dir / "run" / "run.json");
  expect_schema_valid(dir / "run" / "run.json");
  const auto& ws = rec.at("workloads").as_array();
  REQUIRE(ws.size() == 1);
  const auto& w = ws[0];
  REQUIRE(w.at("read_ok").as_bool());
  // Nothing persists without the AOF and without RDB saves: every write
  // acknowledged before the kill is gone, and the lost ones span that time.
  const auto& it = rec.at("iterations").as_array()[0];
  const std::int64_t inject = it.at("inject_start_ns").as_int64();
  const std::int64_t lost = w.at("lost").as_int64();
  CHECK(lost >= 25);
  CHECK(lost <= w.at("acknowledged").as_int64());
  CHECK(w.at("lost_from_ns").as_int64() < inject);
  CHECK(w.at("lost_to_ns").as_int64() <= inject + it.at("uncertainty_ns").as_int64() + 500'000'000);
  CHECK(w.at("loss_window_ns").as_int64() == w.at("lost_to_ns").as_int64() - w.at("lost_from_ns").as_int64());
  CHECK(w.at("lost_seqs").as_array().size() == std::min<std::size_t>(100, static_cast<std::size_t>(lost)));
  const auto* v = find_verdict(rec, "max_data_loss");
  REQUIRE(v);
  CHECK_FALSE(v->at("passed").as_bool());
  CHECK(v->at("measured").as_string() == fmt::format("{} writes", lost));
  CHECK(r.out.find("data loss") != std::string::npos);
  // The report re-rendered from the record alone says the same.
  Result md = itest::faultline(dir, {"report", (dir / "run" / "run.json").string(), "--format", "markdown"});
  INFO(md.err);
  CHECK(md.code == 0);
  CHECK(md.out.find(fmt::format("{} lost", lost)) != std::string::npos);
  expect_nothing_left(rec);
}
