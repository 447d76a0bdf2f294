// The judgements of `faultline history --check` (see trend_check.hpp).
#include "history/trend_check.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <string_view>
#include <unordered_map>

#include "measure/strategy_compare.hpp"

namespace faultline {

namespace {

constexpr std::uint64_t kBootstrapSeed = 0x6869'7374'6f72'7931ULL;  // fixed: the same rows give the same interval

/// Whether the run measured something worth comparing.
bool counts(const RunRow& r) { return r.iterations > 0 && r.outcome != "interrupted" && r.outcome != "usage_error"; }

/// One scenario's runs, oldest first, by reference.
using Series = std::vector<const RunRow*>;

/// The runs of each scenario, the scenarios in the order they first ran.
std::vector<Series> series_by_scenario(const std::vector<RunRow>& rows) {
  std::vector<Series> out;
  std::unordered_map<std::string_view, std::size_t> at;
  for (const auto& r : rows) {
    const auto [i, added] = at.emplace(r.scenario, out.size());
    if (added) out.emplace_back();
    out[i->second].push_back(&r);
  }
  return out;
}

/// The recovery times of `label`'s runs; `deadline` is their give_up_after and
/// `resolution` grows to the largest probe resolution among them.
std::vector<StrategySample> samples_of(const std::vector<const RunRow*>& rows, const std::string& label,
                                       Nanos& deadline, Nanos& resolution) {
  std::vector<StrategySample> out;
  for (const RunRow* r : rows) {
    if (r->label != label) continue;
    deadline = r->give_up_after;
    for (const auto& it : r->iteration_rows) {
      resolution = std::max(resolution, it.uncertainty);
      StrategySample s;
      s.recovery_time = it.recovery_time;
      out.push_back(s);
    }
  }
  return out;
}

std::string time_text(const std::optional<StrategyTime>& t, Nanos deadline) {
  if (!t) return "-";
  return t->beyond_deadline ? "> " + format_ms(deadline) : format_ms(t->value);
}

std::string bound_text(Nanos b, Nanos deadline) {
  if (b == Nanos::max()) return "> " + format_ms(deadline);
  if (b == Nanos::min() || b == -Nanos::max()) return "< -" + format_ms(deadline);
  const std::string s = format_ms(b);
  return s.front() == '-' ? s : "+" + s;
}

void regressions(const Series& rows, const std::string& scenario, const CheckParams& p, std::vector<Finding>& out) {
  std::vector<const RunRow*> mine;  // the scenario's runs that count, not copied
  std::vector<std::string> labels;
  for (const RunRow* rp : rows) {
    const RunRow& r = *rp;
    if (!counts(r)) continue;
    mine.push_back(&r);
    if (std::find(labels.begin(), labels.end(), r.label) == labels.end()) labels.push_back(r.label);
  }
  for (std::size_t i = 1; i < labels.size(); ++i) {
    Nanos deadline{0}, resolution{0};
    const auto before = samples_of(mine, labels[i - 1], deadline, resolution);
    const auto now = samples_of(mine, labels[i], deadline, resolution);
    // The size first (cheap): a step within the tolerance needs no bootstrap.
    const auto m_now = recovery_percentile(now, 0.5), m_before = recovery_percentile(before, 0.5);
    if (!m_now || !m_before || (m_before->beyond_deadline && m_now->beyond_deadline)) continue;
    if (!m_now->beyond_deadline && (m_before->beyond_deadline ||
                                    static_cast<double>((m_now->value - m_before->value).count()) <=
                                        p.tolerance * static_cast<double>(m_before->value.count())))
      continue;
    CompareParams cp;
    cp.confidence = p.confidence;
    cp.seed = kBootstrapSeed;
    cp.resolution = resolution;  // each bound widened by twice the probe resolution
    const StrategyPair pair = compare_pair(labels[i], now, labels[i - 1], before, cp);
    if (!pair.significant || pair.ci_low <= Nanos{0}) continue;
    Finding f{"regression", scenario, labels[i], "", ""};
    f.text = fmt::format(
        "{}: recovery time regressed at label '{}': median {} over {} iteration(s), against {} over {} at '{}' "
        "(difference {}, {:g} % interval {} .. {}, widened by 2 x {} probe resolution)",
        scenario, labels[i], time_text(m_now, deadline), now.size(), time_text(m_before, deadline), before.size(),
        labels[i - 1], pair.difference ? bound_text(*pair.difference, deadline) : "unbounded", p.confidence,
        bound_text(pair.ci_low, deadline), bound_text(pair.ci_high, deadline), format_ms(resolution));
    out.push_back(f);
  }
}

/// Whether `threshold` failed in `r`; `present` when it was judged there at
/// all (an inconclusive verdict is neither a pass nor a failure: not judged).
bool failed(const RunRow& r, const std::string& threshold, bool& present) {
  present = false;
  bool bad = false;
  for (const auto& v : r.verdicts)
    if (v.threshold == threshold && !v.inconclusive) {
      present = true;
      bad |= !v.passed;
    }
  return bad;
}

void recurrences(const Series& rows, const std::string& scenario, const CheckParams& p, std::vector<Finding>& out) {
  std::vector<std::string> thresholds;
  for (const RunRow* r : rows)
    for (const auto& v : r->verdicts)
      if (std::find(thresholds.begin(), thresholds.end(), v.threshold) == thresholds.end())
        thresholds.push_back(v.threshold);
  for (const auto& t : thresholds) {
    const RunRow* last_failure = nullptr;
    int passes = 0;
    for (const RunRow* rp : rows) {
      const RunRow& r = *rp;
      bool present = false;
      // An inconclusive run passed nothing and failed nothing (rows written
      // before schema version 4 keep its undecided verdicts as not passed).
      if (!counts(r) || r.outcome == "inconclusive") continue;
      const bool bad = failed(r, t, present);
      if (!present) continue;
      if (!bad) {
        ++passes;
        continue;
      }
      if (last_failure && passes >= p.passes_between)
        out.push_back({"recurrence", scenario, r.label, r.run_id,
                       fmt::format("{}: verdict '{}' failed in run {} ({}), passed in the {} run(s) after it, and "
                                   "failed again in run {} ({}): the failure came back",
                                   scenario, t, last_failure->run_id, last_failure->label, passes, r.run_id,
                                   r.label)});
      last_failure = &r;
      passes = 0;
    }
  }
}

void flaky(const Series& rows, const std::string& scenario, std::vector<Finding>& out) {
  std::map<std::string, std::vector<const RunRow*>> by_text;
  std::vector<std::string> order;
  for (const RunRow* rp : rows) {
    const RunRow& r = *rp;
    if (r.outcome != "passed" && r.outcome != "failed") continue;
    if (!by_text.count(r.scenario_digest)) order.push_back(r.scenario_digest);
    by_text[r.scenario_digest].push_back(&r);
  }
  for (const auto& digest : order) {
    const auto& runs = by_text[digest];
    int changes = 0;
    for (std::size_t i = 1; i < runs.size(); ++i) changes += runs[i]->outcome != runs[i - 1]->outcome;
    if (changes < 2) continue;
    out.push_back({"flaky", scenario, runs.back()->label, runs.back()->run_id,
                   fmt::format("{}: flaky: the outcome changed {} times over {} runs of the same text ({})", scenario,
                               changes, runs.size(), digest)});
  }
}

}  // namespace

std::vector<std::string> labels_in_order(const std::vector<RunRow>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows)
    if (std::find(out.begin(), out.end(), r.label) == out.end()) out.push_back(r.label);
  return out;
}

std::vector<Finding> check_history(const std::vector<RunRow>& rows, const CheckParams& p) {
  std::vector<Finding> out;
  for (const Series& series : series_by_scenario(rows)) {
    const std::string& s = series.front()->scenario;
    regressions(series, s, p, out);
    recurrences(series, s, p, out);
    flaky(series, s, out);
  }
  return out;
}

}  // namespace faultline
