// End-to-end runs of the real binary with links: a Redis replica that
// replicates from its primary through a link, partitioned from it
// (scenarios/redis-replica-partition.toml). The replica must report its link
// down, faultline must measure the episode, and after the heal the link must
// come back and the data converge. Figures are checked against Redis's own
// timeouts and the fault's configured times; /proc is scanned afterwards.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "checks.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kProbeInterval = 100 * kMs;  // the scenario's probes
constexpr std::int64_t kReplTimeout = 2000 * kMs;   // the replica's --repl-timeout
constexpr std::int64_t kPartition = 5000 * kMs;     // the fault's duration

std::int64_t ns(const json::value& v) { return v.is_null() ? -1 : v.as_int64(); }

/// Runs the drill with `mode` ("drop" or "reject") for one iteration and returns the record.
json::value run_drill(const TempDir& dir, const std::string& mode) {
  std::string text = read_file(source_root() / "scenarios" / "redis-replica-partition.toml");
  const std::string from = "mode = \"drop\"";
  REQUIRE(text.find(from) != std::string::npos);
  text.replace(text.find(from), from.size(), fmt::format("mode = \"{}\"", mode));
  const fs::path file = dir / (mode + ".toml");
  write_file(file, text);
  Result r = itest::faultline_judged(dir, {"run", file.string(), "--iterations", "1", "--out", (dir / mode).string()});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 0);
  CHECK(r.out.find("PASSED") != std::string::npos);
  REQUIRE(fs::exists(dir / mode / "run.json"));
  return read_json(dir / mode / "run.json");
}

/// Checks what both modes share: an episode of the replica link only, a
/// recovery soon after the heal, the link's record, the data verifications.
void check_common(const json::value& rec) {
  CHECK(rec.at("outcome").as_string() == "passed");
  const auto& it = rec.at("iterations").at(0);
  CHECK(it.at("impact").as_bool());
  CHECK(it.at("recovered").as_bool());
  const auto& episodes = it.at("episodes").as_array();
  REQUIRE(episodes.size() == 1);
  CHECK(episodes[0].at("failing_probes") == json::array{"replica-link"});  // the primary never failed

  // The replica is back in sync within 4 s of the heal (it retries every second).
  const std::int64_t after_revert = ns(it.at("recovery_after_revert_ns"));
  INFO("recovery after revert " << after_revert / kMs << " ms");
  CHECK(after_revert >= -kProbeInterval);
  CHECK(after_revert <= 4000 * kMs);

  // The link's record: the replication connection and its reconnections,
  // bytes both ways, and the partition's window exactly as long as its hold.
  const auto& link = rec.at("links").at(0);
  CHECK(link.at("name").as_string() == "repl");
  CHECK(link.at("connections").as_int64() >= 2);
  CHECK(link.at("bytes_upstream").as_int64() > 0);
  CHECK(link.at("bytes_downstream").as_int64() > 0);
  const auto& window = link.at("faults").at(0);
  CHECK(window.at("fault").as_string() == "cut-replica");
  const std::int64_t held = ns(window.at("end_ns")) - ns(window.at("start_ns"));
  CHECK(held >= kPartition);
  CHECK(held <= kPartition + 50 * kMs);
  const auto& fault = rec.at("faults").at(0);
  CHECK(fault.at("fault").as_string() == "cut-replica");
  CHECK(ns(window.at("start_ns")) >= ns(fault.at("inject_start_ns")));
  CHECK(ns(window.at("start_ns")) <= ns(fault.at("inject_ns")));

  for (const auto& v : rec.at("verdicts").as_array()) {
    INFO(v.at("threshold").as_string() << " " << v.at("scope").as_string());
    CHECK(v.at("passed").as_bool());
  }
  expect_nothing_left(rec);
}

}  // namespace

TEST_CASE("links: a replica partitioned from its primary (drop) reports the link down, reconnects and converges") {
  TempDir dir;
  const json::value rec = run_drill(dir, "drop");
  check_common(rec);
  const auto& it = rec.at("iterations").at(0);
  // Nothing tells the replica: it notices when more than repl-timeout (2 s)
  // passed without a byte. Redis compares whole seconds of its clock
  // (unixtime - lastinteraction > 2) in a cron that runs once a second, so
  // that is between 2 s and 4 s after the last byte, which came at most one
  // write-probe interval (100 ms) before the partition.
  const std::int64_t ttd = ns(it.at("ttd_ns"));
  INFO("TTD " << ttd / kMs << " ms");
  CHECK(ttd >= kReplTimeout - 2 * kProbeInterval);
  CHECK(ttd <= kReplTimeout + 2000 * kMs + 2 * kProbeInterval);
  CHECK(rec.at("links").at(0).at("resets").as_int64() == 0);
  // It caught up by partial resynchronisation: no new full sync after the heal.
  const std::string log = read_file(dir / "drop" / "logs" / "replica.log");
  CHECK(log.find("MASTER timeout") != std::string::npos);
  CHECK(log.find("Successful partial resynchronization") != std::string::npos);
}

TEST_CASE("links: with a rejecting partition the replica loses its link at once and converges after the heal") {
  TempDir dir;
  const json::value rec = run_drill(dir, "reject");
  check_common(rec);
  const auto& it = rec.at("iterations").at(0);
  // The reset reaches the replica at once: the next probe sees the link down.
  const std::int64_t ttd = ns(it.at("ttd_ns"));
  INFO("TTD " << ttd / kMs << " ms");
  CHECK(ttd >= 0);
  CHECK(ttd <= 2 * kProbeInterval + 300 * kMs);  // a probe interval, plus redis-cli's own time
  CHECK(rec.at("links").at(0).at("resets").as_int64() >= 1);
}
