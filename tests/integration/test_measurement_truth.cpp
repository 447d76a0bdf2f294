// Ground truth for measurement (docs/design.md section 3): a server whose outages
// the test scripts exactly (tests/fixtures/flaky_server) logs every
// transition on CLOCK_MONOTONIC; faultline's record stores its own origin on
// the same clock. Every figure faultline measures is compared with the
// server's own account, within one probe interval + 2 ms.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>

#include "harness.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

constexpr std::int64_t kInterval = 10'000'000;                 // the probe interval, 10 ms
constexpr std::int64_t kSlack = 2'000'000;                     // + 2 ms (the probe's own latency)
constexpr std::int64_t kTolerance = kInterval + kSlack;         // one interval + 2 ms

std::string truth_scenario(int iterations, const std::string& apply) {
  return fmt::format(R"(name = "truth"
iterations = {iterations}
steady_for = "100ms"
recovered_after = 3
watch = "300ms"
give_up_after = "3s"
cool_down = "50ms"

[[service]]
name = "app"
command = ["{server}", "--port", "{{port.app}}", "--control-port", "{{port.ctl}}",
           "--mode", "refuse", "--events", "{{service.dir}}/events"]
ports = ["app", "ctl"]
[service.ready]
kind = "tcp"
port = "{{port.app}}"

[[probe]]
name = "http"
kind = "http"
port = "{{port.app}}"
interval = "10ms"
timeout = "100ms"   # the fixture refuses at once when down; a slow answer is load, not an outage

[[fault]]
name = "outage"
kind = "exec"
apply = {apply}
at = "50ms"
)",
                     fmt::arg("iterations", iterations), fmt::arg("server", flaky_server_bin()),
                     fmt::arg("apply", apply));
}

std::int64_t ns(const json::value& v) { return v.as_int64(); }

/// The sample starts the record keeps exactly for a probe: every sample, or
/// the first and last of each run of equal outcome (schema_version 2), which
/// include every transition.
std::vector<std::int64_t> exact_starts(const json::value& probe) {
  std::vector<std::int64_t> out;
  if (const auto* samples = probe.as_object().if_contains("samples")) {
    for (const auto& s : samples->as_array()) out.push_back(s.at(0).as_int64());
  } else {
    for (const auto& r : probe.at("runs").as_array()) {
      out.push_back(r.at("first").at(0).as_int64());
      out.push_back(r.at("last").at(0).as_int64());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

/// The gap between the sample that started at `t` (a measured transition)
/// and the sample before it: the true transition lies between the two
/// (docs/design.md section 3), so this is the measurement's own uncertainty. With
/// regular sampling it is the interval; a tick skipped because the machine
/// was too busy (an overrun) widens it by exactly that tick.
std::int64_t gap_before(const std::vector<std::int64_t>& starts, std::int64_t t) {
  auto it = std::lower_bound(starts.begin(), starts.end(), t);
  if (it == starts.end() || *it != t || it == starts.begin()) return kInterval;
  return std::max(kInterval, t - *std::prev(it));
}

}  // namespace

TEST_CASE("truth: over 20 episodes at 10 ms, TTD, TTR and recovery time are within one interval + 2 ms; relapses exact") {
  TempDir dir;
  const fs::path file = dir / "truth.toml";
  // Each iteration: a 200 ms outage, 100 ms up (recovered: 3 ok samples take
  // 30 ms), then a 120 ms relapse inside the 300 ms watch window.
  const std::string apply = fmt::format(R"(["{}", "--trigger", "{{port.ctl}}", "--pattern", "down:200ms,up:100ms,down:120ms"])",
                                        flaky_server_bin());
  write_file(file, truth_scenario(10, apply));
  Result r = faultline(dir, {"run", file.string(), "--out", (dir / "run").string(), "--quiet"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  // No thresholds: exit 0 means the run itself completed.
  REQUIRE(r.code == 0);

  const json::value rec = read_json(dir / "run" / "run.json");
  const std::int64_t origin = rec.at("environment").at("origin_monotonic_ns").as_int64();
  const auto events = server_events(dir / "run" / "services" / "app" / "events");
  const auto& its = rec.at("iterations").as_array();
  REQUIRE(its.size() == 10);
  REQUIRE(events.size() == 40);  // down, up, down, up per iteration

  int episodes = 0, widened = 0;
  std::int64_t worst = 0;
  const std::vector<std::int64_t> starts = exact_starts(rec.at("probes").at(0));
  for (std::size_t i = 0; i < its.size(); ++i) {
    const auto& it = its[i];
    // Server times relative to the run origin.
    std::int64_t t[4];
    for (int k = 0; k < 4; ++k) {
      REQUIRE(events[4 * i + k].first == (k % 2 == 0 ? "down" : "up"));
      t[k] = events[4 * i + k].second - origin;
    }
    const std::int64_t t_inject = ns(it.at("inject_ns"));
    CAPTURE(i + 1);
    REQUIRE(it.at("impact").as_bool());
    REQUIRE(it.at("recovered").as_bool());
    CHECK(it.at("relapses").as_int64() == 1);

    // TTD: the truth is max(0, down - t_inject) (the outage begins while the
    // trigger command is still returning).
    const std::int64_t ttd_truth = std::max<std::int64_t>(0, t[0] - t_inject);
    const std::int64_t rt_truth = t[1] - t_inject;
    const auto& eps = it.at("episodes").as_array();
    REQUIRE(eps.size() == 2);
    CHECK_FALSE(eps[0].at("relapse").as_bool());
    CHECK(eps[1].at("relapse").as_bool());
    // Each figure's bound: one sampling gap at each transition it uses + 2 ms.
    const std::int64_t g_fail = gap_before(starts, ns(eps[0].at("start_ns")));
    const std::int64_t g_recover = gap_before(starts, ns(eps[0].at("end_ns")));
    const std::int64_t g_fail2 = gap_before(starts, ns(eps[1].at("start_ns")));
    const std::int64_t g_recover2 = gap_before(starts, ns(eps[1].at("end_ns")));
    const std::pair<std::int64_t, std::int64_t> checks[] = {
        {ns(it.at("ttd_ns")) - ttd_truth, g_fail},
        {ns(it.at("recovery_time_ns")) - rt_truth, g_recover},
        {ns(eps[0].at("ttr_ns")) - (t[1] - t[0]), std::max(g_fail, g_recover)},
        {ns(eps[1].at("ttr_ns")) - (t[3] - t[2]), std::max(g_fail2, g_recover2)},
        {ns(eps[1].at("start_ns")) - t[2], g_fail2},
        {ns(eps[1].at("end_ns")) - t[3], g_recover2},
    };
    for (const auto& [e, gap] : checks) {
      CHECK(std::llabs(e) <= gap + kSlack);
      worst = std::max<std::int64_t>(worst, std::llabs(e));
      if (2 * gap >= 3 * kInterval) ++widened;  // a skipped tick, not jitter
    }
    episodes += static_cast<int>(eps.size());
  }
  CHECK(episodes == 20);
  CHECK(rec.at("statistics").at("recurrence").as_int64() == 10);
  CHECK(rec.at("statistics").at("recurrence_rate").as_double() == doctest::Approx(1.0));
  MESSAGE("worst error against ground truth over 20 episodes: " << worst / 1000 << " us (tolerance "
                                                                 << kTolerance / 1000 << " us with regular sampling; "
                                                                 << widened << " of 60 bounds widened by overruns)");
}

TEST_CASE("truth: a fault the system absorbs is reported as no impact, recovery time 0") {
  TempDir dir;
  const fs::path file = dir / "absorbed.toml";
  write_file(file, truth_scenario(2, R"(["true"])"));
  Result r = faultline(dir, {"run", file.string(), "--out", (dir / "run").string(), "--quiet"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
  const json::value rec = read_json(dir / "run" / "run.json");
  for (const auto& it : rec.at("iterations").as_array()) {
    CHECK_FALSE(it.at("impact").as_bool());
    CHECK(it.at("recovered").as_bool());
    CHECK(it.at("ttd_ns").is_null());
    CHECK(it.at("recovery_time_ns").as_int64() == 0);
    CHECK(it.at("episodes").as_array().empty());
  }
  CHECK(r.out.find("absorbed") != std::string::npos);
}
