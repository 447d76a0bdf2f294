// The regression gate against the history's series (see series_gate.hpp).
#include "measure/series_gate.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace faultline {

namespace {

/// The figure of a run: worst and p95 recovery time, MTTR; none = unbounded.
std::optional<Nanos> worst_of(const RunRecord& r) {
  Nanos worst{0};
  for (const auto& m : r.iterations) {
    if (!m.recovered || !m.recovery_time) return std::nullopt;
    worst = std::max(worst, *m.recovery_time);
  }
  return worst;
}

std::optional<Nanos> p95_of(const RunRecord& r) {
  std::vector<std::optional<Nanos>> v;
  for (const auto& m : r.iterations) v.push_back(m.recovered ? m.recovery_time : std::nullopt);
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a && (!b || *a < *b); });
  const std::size_t rank = std::max<std::size_t>(1, (95 * v.size() + 99) / 100);
  return v[rank - 1];
}

std::optional<Nanos> mttr_of(const RunRecord& r) {
  if (r.statistics.unrecovered_episodes > 0) return std::nullopt;
  return r.statistics.ttr.count > 0 ? r.statistics.ttr.mean : Nanos{0};
}

std::string text_of(const std::optional<Nanos>& v, const RunRecord& r) {
  return v ? format_ms(*v) : "> " + format_ms(r.scenario.give_up_after);
}

Verdict judge(const char* threshold, const std::optional<Nanos>& now,
              const std::vector<std::optional<Nanos>>& then, const RunRecord& run,
              const std::vector<SeriesPoint>& series, double tolerance, const std::string& source) {
  Verdict v;
  v.threshold = threshold;
  v.scope = "run";
  v.measured = text_of(now, run);
  const std::string runs = fmt::format("the last {} passing run(s) in {} ({} .. {}, labels '{}' .. '{}')",
                                       series.size(), source, series.front().run_id, series.back().run_id,
                                       series.front().label, series.back().label);
  if (std::any_of(then.begin(), then.end(), [](const auto& x) { return !x; })) {
    v.passed = true;
    v.limit = "none";
    v.detail = runs + ": one did not recover, so nothing is beyond the series and there is no limit";
    return v;
  }
  std::vector<Nanos> sorted;
  for (const auto& x : then) sorted.push_back(*x);
  std::sort(sorted.begin(), sorted.end());
  const Nanos largest = sorted.back(), median = sorted[(sorted.size() - 1) / 2];
  const Nanos limit(std::llround(static_cast<double>(largest.count()) * (1.0 + tolerance)));
  v.limit = format_ms(limit);
  v.passed = now && *now <= limit;
  if (now) {
    const std::string m = format_ms(limit - *now);
    v.margin = m.front() == '-' ? m : "+" + m;
  }
  v.detail = fmt::format("beyond the spread of {}: median {}, largest {}; limit = largest + {:g} %", runs,
                         format_ms(median), format_ms(largest), tolerance * 100.0);
  return v;
}

}  // namespace

std::vector<Verdict> series_verdicts(const RunRecord& run, const std::vector<SeriesPoint>& series, double tolerance,
                                     const std::string& source) {
  if (run.iterations.empty() || series.empty()) return {};
  std::vector<std::optional<Nanos>> worst, p95, mttr;
  for (const auto& p : series) {
    worst.push_back(p.recovery_max);
    p95.push_back(p.recovery_p95);
    mttr.push_back(p.mttr);
  }
  return {judge("regression.recovery_time_max", worst_of(run), worst, run, series, tolerance, source),
          judge("regression.recovery_time_p95", p95_of(run), p95, run, series, tolerance, source),
          judge("regression.mttr", mttr_of(run), mttr, run, series, tolerance, source)};
}

std::string series_digest_warning(const std::vector<SeriesPoint>& series, const std::string& scenario,
                                  const std::string& digest, const std::string& source) {
  std::vector<std::string> others;
  std::size_t differ = 0;
  for (const auto& p : series) {
    if (p.scenario_digest == digest) continue;
    ++differ;
    if (std::find(others.begin(), others.end(), p.scenario_digest) == others.end()) others.push_back(p.scenario_digest);
  }
  if (differ == 0) return "";
  return fmt::format("{} of the {} run(s) of the series in {} ran a different text of scenario '{}' ({}, now {}); "
                     "comparing anyway",
                     differ, series.size(), source, scenario, fmt::join(others, ", "), digest);
}

}  // namespace faultline
