// A run's history row from its record (see run_row.hpp).
#include "history/run_row.hpp"

#include <algorithm>

namespace faultline {

namespace {

std::optional<Nanos> p95_of(const std::vector<IterationMetrics>& its) {
  std::vector<std::optional<Nanos>> v;
  for (const auto& m : its) v.push_back(m.recovered ? m.recovery_time : std::nullopt);
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a && (!b || *a < *b); });
  const std::size_t rank = std::max<std::size_t>(1, (95 * v.size() + 99) / 100);
  return v[rank - 1];
}

std::optional<double> combined_availability(const RunStatistics& s) {
  for (const auto& a : s.availability)
    if (a.probe == "combined" && (a.up + a.down).count() > 0)
      return static_cast<double>(a.up.count()) / static_cast<double>((a.up + a.down).count());
  return std::nullopt;
}

}  // namespace

RunRow row_from_record(const RunRecord& rec, const std::string& label, const std::string& record_path) {
  RunRow r;
  r.run_id = rec.run_id;
  r.scenario = rec.scenario_name;
  r.scenario_digest = rec.scenario_digest;
  r.label = label;
  r.host = rec.host;
  r.faultline_version = rec.faultline_version;
  r.started_at = rec.started_at;
  r.seed = rec.seed;
  r.outcome = outcome_name(rec.outcome);
  r.exit_code = rec.exit_code;
  r.duration = rec.duration;
  r.give_up_after = rec.scenario.give_up_after;
  r.iterations = static_cast<int>(rec.iterations.size());
  r.record_path = record_path;
  std::optional<Nanos> worst = Nanos{0};
  for (const auto& m : rec.iterations) {
    IterationRow it;
    it.index = m.index;
    it.ttd = m.ttd;
    it.ttr = m.ttr;
    it.recovery_time = m.recovered ? m.recovery_time : std::nullopt;
    it.relapses = m.relapses;
    it.uncertainty = m.uncertainty;
    it.recovery_bracket = m.recovery_bracket;
    for (const auto& w : rec.workloads)
      if (w.iteration == m.index) it.lost += w.lost;
    if (!it.recovery_time) ++r.unrecovered;
    if (worst && it.recovery_time) worst = std::max(*worst, *it.recovery_time);
    else worst = std::nullopt;
    r.relapses += m.relapses;
    r.data_lost += it.lost;
    r.iteration_rows.push_back(it);
  }
  if (!rec.iterations.empty()) {
    r.recovery_max = worst;
    r.recovery_p95 = p95_of(rec.iterations);
    const auto& s = rec.statistics;
    if (s.unrecovered_episodes == 0) r.mttr = s.ttr.count > 0 ? s.ttr.mean : Nanos{0};
    r.ttr_p50 = s.ttr.p50;
    r.ttr_p95 = s.ttr.p95;
    r.episodes = static_cast<int>(s.episodes);
  }
  r.availability = combined_availability(rec.statistics);
  for (const auto& v : rec.verdicts)  // a verdict that never ran judged nothing: no history
    if (!v.not_run) r.verdicts.push_back({v.threshold, v.scope, v.passed, v.measured, v.limit, v.inconclusive});
  return r;
}

std::string row_figure(const RunRow& row, const std::optional<Nanos>& figure) {
  if (figure) return format_ms(*figure);
  return row.iterations > 0 ? "> " + format_ms(row.give_up_after) : "-";
}

}  // namespace faultline
