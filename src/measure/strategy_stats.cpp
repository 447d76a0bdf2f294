// Per strategy figures (strategy_stats.hpp): the record's iterations grouped
// by strategy, each group summarized. The definitions are those of
// docs/design.md section 3; nothing here is re-measured from samples except
// through IterationMetrics, which conclude() measured already.
#include "measure/strategy_stats.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "measure/measurement.hpp"

namespace faultline {

namespace {

/// The earliest start of a runbook step that ran in iteration `it`.
std::optional<Nanos> runbook_start(const std::vector<StepOutcome>& steps, int it) {
  std::optional<Nanos> first;
  for (const auto& o : steps)
    if (o.phase == "recovery" && o.iteration == it && o.ran && (!first || o.start < *first)) first = o.start;
  return first;
}

StrategySample sample_of(const RunRecord& rec, const IterationMetrics& m) {
  StrategySample s;
  if (m.recovered) s.recovery_time = m.recovery_time.value_or(Nanos{0});
  for (const auto& e : m.episodes)
    if (auto t = e.ttr()) s.ttrs.push_back(*t);
  s.mitigate = m.time_to_mitigate;
  s.runbook = m.runbook_duration;
  const auto started = runbook_start(rec.steps, m.index);
  for (std::size_t i = 0; i < m.episodes.size(); ++i)
    if (m.episodes[i].relapse || (i > 0 && started && m.episodes[i].start >= *started)) s.secondary_outage = true;
  for (const auto& o : rec.steps) {
    if (o.iteration != m.index || !o.ran || o.ok) continue;
    if (o.phase == "recovery") ++s.failed_steps;
    if (o.phase == "verify") ++s.failed_verifications;
  }
  for (const auto& w : rec.workloads)
    if (w.iteration == m.index) s.lost += w.lost;
  for (const auto& a : m.availability)
    if (a.probe == "combined") {
      s.up = a.up;
      s.down = a.down;
    }
  return s;
}

/// Recovery time as a sortable value: never recovered after every number.
Nanos sort_key(const StrategySample& s) { return s.recovery_time.value_or(Nanos::max()); }

std::optional<Nanos> median_of(std::vector<Nanos> v) {
  if (v.empty()) return std::nullopt;
  return stats_of(std::move(v)).p50;
}

}  // namespace

std::vector<std::vector<StrategySample>> strategy_samples(const RunRecord& rec) {
  const auto& strategies = rec.scenario.strategies;
  std::vector<std::vector<StrategySample>> out(strategies.size());
  for (const auto& m : rec.iterations) {
    if (m.index < 1 || static_cast<std::size_t>(m.index) > rec.iteration_strategies.size()) continue;
    const std::string& name = rec.iteration_strategies[static_cast<std::size_t>(m.index) - 1];
    auto it = std::find_if(strategies.begin(), strategies.end(), [&](const StrategySpec& s) { return s.name == name; });
    if (it != strategies.end()) out[static_cast<std::size_t>(it - strategies.begin())].push_back(sample_of(rec, m));
  }
  return out;
}

std::optional<StrategyTime> recovery_percentile(const std::vector<StrategySample>& samples, double q) {
  if (samples.empty()) return std::nullopt;
  std::vector<Nanos> keys;
  for (const auto& s : samples) keys.push_back(sort_key(s));
  std::sort(keys.begin(), keys.end());
  // Nearest rank: the smallest value with at least q of the samples at or below it.
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(keys.size())));
  rank = std::clamp<std::size_t>(rank, 1, keys.size());
  const Nanos v = keys[rank - 1];
  return v == Nanos::max() ? StrategyTime{Nanos{0}, true} : StrategyTime{v, false};
}

StrategyStats summarize_strategy(const std::string& name, const std::vector<StrategySample>& samples,
                                 double max_secondary_rate) {
  StrategyStats st;
  st.name = name;
  st.iterations = static_cast<int>(samples.size());
  std::vector<Nanos> ttrs, mitigate, runbook;
  Nanos up{0}, down{0};
  for (const auto& s : samples) {
    if (!s.recovery_time) ++st.not_recovered;
    ttrs.insert(ttrs.end(), s.ttrs.begin(), s.ttrs.end());
    if (s.mitigate) mitigate.push_back(*s.mitigate);
    if (s.runbook) runbook.push_back(*s.runbook);
    st.secondary_outages += s.secondary_outage ? 1 : 0;
    st.failed_steps += s.failed_steps;
    st.failed_verifications += s.failed_verifications;
    st.data_lost += s.lost;
    up += s.up;
    down += s.down;
  }
  st.recovery_p50 = recovery_percentile(samples, 0.5);
  st.recovery_p95 = recovery_percentile(samples, 0.95);
  st.recovery_max = recovery_percentile(samples, 1.0);
  st.ttr_n = static_cast<int>(ttrs.size());
  if (!ttrs.empty()) {
    const Stats t = stats_of(ttrs);
    st.ttr_p50 = t.p50;
    st.ttr_p95 = t.p95;
    st.ttr_max = t.max;
  }
  st.mitigate_p50 = median_of(mitigate);
  st.runbook_p50 = median_of(runbook);
  if (st.iterations > 0)
    st.secondary_outage_rate = static_cast<double>(st.secondary_outages) / static_cast<double>(st.iterations);
  if (up + down > Nanos{0})
    st.availability = 100.0 * static_cast<double>(up.count()) / static_cast<double>((up + down).count());
  // Why it may not be ranked fastest: each reason, the first one said.
  if (st.iterations == 0) st.ineligible_why = "no iteration measured";
  else if (st.data_lost > 0) st.ineligible_why = fmt::format("lost {} acknowledged write(s)", st.data_lost);
  else if (st.failed_verifications > 0) st.ineligible_why = fmt::format("{} failed verification(s)", st.failed_verifications);
  else if (st.failed_steps > 0) st.ineligible_why = fmt::format("{} failed runbook step(s)", st.failed_steps);
  else if (st.secondary_outage_rate * 100.0 > max_secondary_rate + 1e-9)
    st.ineligible_why = fmt::format("secondary outages in {:.0f}% of its iterations (limit {:g}%)",
                                    st.secondary_outage_rate * 100.0, max_secondary_rate);
  st.eligible = st.ineligible_why.empty();
  return st;
}

}  // namespace faultline
