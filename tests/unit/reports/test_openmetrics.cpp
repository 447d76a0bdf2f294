#include <doctest/doctest.h>

#include <string>

#include "reports/openmetrics.hpp"

using namespace faultline;
using namespace std::chrono_literals;

TEST_CASE("openmetrics: families labelled by scenario, observed figures only, verdicts, # EOF last") {
  RunRecord r;
  r.scenario_name = "redis \"kill\"";
  r.outcome = Outcome::failed;
  r.exit_code = 1;
  r.iterations.resize(3);
  r.statistics.recovery_time = Stats{3, 200ms, 150ms, 400ms, 450ms, 10ms};
  r.statistics.ttr = Stats{3, 100ms, 90ms, 120ms, 130ms, 5ms};
  r.statistics.recurrence = 2;
  r.statistics.availability = {Availability{"combined", 90, 100, 100, 9s, 1s, 0s, 500ms, 250ms}};
  WorkloadResult w;
  w.workload = "writes";
  w.lost = 4;
  w.loss_window = 250ms;
  r.workloads = {w, w};
  r.verdicts = {Verdict{"rto", "iteration 2", false, "", "", "", ""}};
  const std::string m = render_openmetrics({r});
  INFO(m);
  const std::string s = "scenario=\"redis \\\"kill\\\"\"";
  CHECK(m.find("# TYPE faultline_recovery_time_seconds gauge\n# UNIT faultline_recovery_time_seconds seconds\n") !=
        std::string::npos);
  CHECK(m.find("faultline_recovery_time_seconds{" + s + ",stat=\"p95\"} 0.4\n") != std::string::npos);
  CHECK(m.find("faultline_mttr_seconds{" + s + "} 0.1\n") != std::string::npos);
  CHECK(m.find("faultline_relapses{" + s + "} 2\n") != std::string::npos);
  CHECK(m.find("faultline_availability_ratio{" + s + ",probe=\"combined\"} 0.9\n") != std::string::npos);
  CHECK(m.find("faultline_availability_low_ratio{" + s + ",probe=\"combined\"} 0.85\n") != std::string::npos);
  CHECK(m.find("faultline_availability_high_ratio{" + s + ",probe=\"combined\"} 0.925\n") != std::string::npos);
  CHECK(m.find("faultline_data_loss_writes{" + s + ",workload=\"writes\"} 8\n") != std::string::npos);
  CHECK(m.find("faultline_verdict_passed{" + s + ",threshold=\"rto\",scope=\"iteration 2\"} 0\n") != std::string::npos);
  CHECK(m.find("faultline_run_passed{" + s + "} 0\n") != std::string::npos);
  // No iteration had an impact: no TTD sample at all, never a zero.
  CHECK(m.find("faultline_ttd_seconds") == std::string::npos);
  CHECK(m.size() >= 6);
  CHECK(m.substr(m.size() - 6) == "# EOF\n");
}

TEST_CASE("openmetrics: integrity failures per check and the bytes each data fault damaged") {
  RunRecord r;
  r.scenario_name = "pg";
  StepOutcome ok, bad, plain;
  ok.phase = bad.phase = plain.phase = "verify";
  ok.name = bad.name = "rows intact";
  ok.integrity = bad.integrity = true;
  ok.ok = true;
  bad.ok = false;
  plain.name = "log says so";
  plain.ok = false;  // not an integrity check: not counted
  r.steps = {ok, bad, plain};
  FaultEvent f;
  f.fault = "zero-control";
  f.damage = DataDamage{};
  f.damage->mode = "zero";
  f.damage->bytes_changed = 512;
  r.faults = {f, f};
  const std::string m = render_openmetrics({r});
  INFO(m);
  CHECK(m.find("faultline_integrity_failures{scenario=\"pg\",check=\"rows intact\"} 1\n") != std::string::npos);
  CHECK(m.find("log says so") == std::string::npos);
  CHECK(m.find("# UNIT faultline_data_damaged_bytes bytes\n") != std::string::npos);
  CHECK(m.find("faultline_data_damaged_bytes{scenario=\"pg\",fault=\"zero-control\",how=\"changed\"} 1024\n") !=
        std::string::npos);
  CHECK(m.find("faultline_data_damaged_bytes{scenario=\"pg\",fault=\"zero-control\",how=\"cut\"} 0\n") !=
        std::string::npos);
}
