// Synthetic history rows for the history, series-gate and history-report
// tests: a run of a scenario at a label with given recovery times.
#pragma once

#include <chrono>
#include <fmt/format.h>
#include <string>
#include <vector>

#include "history/run_row.hpp"

namespace fixtures {

using namespace faultline;
using namespace std::chrono_literals;

/// A run `id` of `scenario` at `label`, started at minute `minute` of a day,
/// whose iterations recovered in `recovery` (nullopt: not recovered), with
/// an `rto` verdict that passes when every iteration recovered in time.
inline RunRow history_row(const std::string& id, const std::string& scenario, const std::string& label, int minute,
                          const std::vector<std::optional<Nanos>>& recovery, bool passed = true) {
  RunRow r;
  r.run_id = id;
  r.scenario = scenario;
  r.scenario_digest = "sha1:aaaa";
  r.label = label;
  r.host = "ci-1";
  r.faultline_version = "0.1.0";
  r.started_at = fmt::format("2026-12-01T10:{:02}:00Z", minute);
  r.seed = 7;
  r.outcome = passed ? "passed" : "failed";
  r.exit_code = passed ? 0 : 1;
  r.duration = 10s;
  r.give_up_after = 5s;
  r.iterations = static_cast<int>(recovery.size());
  Nanos worst{0};
  bool bounded = true;
  for (std::size_t i = 0; i < recovery.size(); ++i) {
    IterationRow it;
    it.index = static_cast<int>(i) + 1;
    it.ttd = 20ms;
    it.recovery_time = recovery[i];
    it.ttr = recovery[i] ? std::optional<Nanos>(*recovery[i] - 20ms) : std::nullopt;
    r.iteration_rows.push_back(it);
    if (recovery[i]) worst = std::max(worst, *recovery[i]);
    else bounded = false, ++r.unrecovered;
  }
  if (bounded) r.recovery_max = worst, r.recovery_p95 = worst, r.mttr = worst - 20ms;
  r.ttr_p50 = 100ms;
  r.ttr_p95 = 180ms;
  r.episodes = r.iterations;
  r.availability = 0.98;
  r.record_path = "/runs/" + id + "/run.json";
  r.verdicts.push_back({"rto", "run", passed, format_ms(worst), "2000.000 ms"});
  return r;
}

}  // namespace fixtures
