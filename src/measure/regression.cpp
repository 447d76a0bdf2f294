// The regression gate's figures and verdicts (see regression.hpp).
#include "measure/regression.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace faultline {

namespace {

/// A figure the gate compares: a duration, or unbounded (something did not
/// recover by its deadline).
struct Figure {
  std::optional<Nanos> value;  ///< nullopt: unbounded
  int iteration = 0;           ///< the iteration it comes from, when one does
};

/// The worst recovery time; the first unrecovered iteration makes it unbounded.
Figure worst_recovery(const std::vector<IterationMetrics>& its) {
  Figure worst{Nanos{0}, 0};
  for (const auto& m : its) {
    if (!m.recovered || !m.recovery_time) return {std::nullopt, m.index};
    if (worst.iteration == 0 || *m.recovery_time > *worst.value) worst = {*m.recovery_time, m.index};
  }
  return worst;
}

/// p95 (nearest rank) of the recovery times, unrecovered iterations ranked last.
Figure p95_recovery(const std::vector<IterationMetrics>& its) {
  std::vector<std::optional<Nanos>> v;
  for (const auto& m : its) v.push_back(m.recovered ? m.recovery_time : std::nullopt);
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a && (!b || *a < *b); });
  const std::size_t rank = std::max<std::size_t>(1, (95 * v.size() + 99) / 100);
  return {v.empty() ? std::optional<Nanos>(Nanos{0}) : v[rank - 1], 0};
}

/// MTTR: unbounded when an episode did not recover, 0 when there was none.
Figure mttr(const RunStatistics& s) {
  if (s.unrecovered_episodes > 0) return {std::nullopt, 0};
  return {s.ttr.count > 0 ? s.ttr.mean : Nanos{0}, 0};
}

std::string figure_text(const Figure& f, const RunRecord& r) {
  return f.value ? format_ms(*f.value) : "> " + format_ms(r.scenario.give_up_after);
}

std::string signed_ms(Nanos d) {
  std::string s = format_ms(d);
  return s.front() == '-' ? s : "+" + s;
}

Verdict compare(const char* threshold, const Figure& now, const Figure& then, const RunRecord& run,
                const Baseline& b) {
  Verdict v;
  v.threshold = threshold;
  v.scope = "run";
  v.measured = figure_text(now, run);
  const std::string base = fmt::format("baseline {} (run {}, {})", figure_text(then, b.record), b.record.run_id, b.source);
  if (!then.value) {
    // Nothing can be worse than a baseline that never recovered.
    v.passed = true;
    v.limit = "none";
    v.detail = base + ": did not recover, so there is no limit";
  } else {
    const Nanos limit(std::llround(static_cast<double>(then.value->count()) * (1.0 + b.tolerance)));
    v.limit = format_ms(limit);
    v.passed = now.value && *now.value <= limit;
    if (now.value) v.margin = signed_ms(limit - *now.value);
    v.detail = fmt::format("{} + {}", base, tolerance_text(b.tolerance));
  }
  if (now.iteration > 0) v.detail += fmt::format("; {}: iteration {}", now.value ? "worst" : "not recovered", now.iteration);
  if (b.record.scenario_digest != run.scenario_digest) v.detail += "; the scenario's text differs from the baseline's";
  return v;
}

}  // namespace

std::optional<double> parse_tolerance(std::string_view text) {
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (!text.empty() && text.back() == '%') text.remove_suffix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  double pct = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pct);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(pct) || pct < 0) return std::nullopt;
  return pct / 100.0;
}

std::string tolerance_text(double tolerance) { return fmt::format("{:g} %", tolerance * 100.0); }

std::string baseline_problem(const Baseline& b, const std::string& scenario_name) {
  if (b.record.scenario_name != scenario_name)
    return fmt::format("{} is a run of scenario '{}', not of '{}'", b.source, b.record.scenario_name, scenario_name);
  if (b.record.iterations.empty())
    return fmt::format("{} has no measured iteration to compare with (outcome: {})", b.source,
                       outcome_name(b.record.outcome));
  return "";
}

std::string baseline_warning(const Baseline& b, const std::string& scenario_digest) {
  if (b.record.scenario_digest == scenario_digest) return "";
  return fmt::format("{} ran a different text of scenario '{}' ({}, now {}); comparing anyway", b.source,
                     b.record.scenario_name, b.record.scenario_digest, scenario_digest);
}

std::vector<Verdict> regression_verdicts(const RunRecord& run, const Baseline& b) {
  if (run.iterations.empty()) return {};
  if (!b.series.empty()) return series_verdicts(run, b.series, b.tolerance, b.source);
  const auto& then = b.record;
  std::vector<Verdict> out;
  out.push_back(compare("regression.recovery_time_max", worst_recovery(run.iterations), worst_recovery(then.iterations),
                        run, b));
  out.push_back(compare("regression.recovery_time_p95", p95_recovery(run.iterations), p95_recovery(then.iterations),
                        run, b));
  out.push_back(compare("regression.mttr", mttr(run.statistics), mttr(then.statistics), run, b));
  return out;
}

}  // namespace faultline
