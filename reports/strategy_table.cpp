// The strategies' comparison in the console and in Markdown
// (strategy_table.hpp). Both render the same rows from the record's
// StrategyComparison; the iterations planned per strategy come from the
// record's order, so a partial run says how far each strategy got.
#include "reports/strategy_table.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "measure/measurement.hpp"
#include "reports/report_text.hpp"

namespace faultline {

namespace {

int planned(const RunRecord& r, const std::string& name) {
  return static_cast<int>(std::count(r.iteration_strategies.begin(), r.iteration_strategies.end(), name));
}

/// The strategies in the order the table shows them: ranked first, by rank.
std::vector<const StrategyStats*> table_order(const StrategyComparison& c) {
  std::vector<const StrategyStats*> out;
  for (const auto& s : c.strategies) out.push_back(&s);
  std::stable_sort(out.begin(), out.end(), [](const StrategyStats* a, const StrategyStats* b) {
    const int ra = a->rank ? a->rank : 1 << 30, rb = b->rank ? b->rank : 1 << 30;
    return ra < rb;
  });
  return out;
}

std::string percent(double share) { return fmt::format("{:.0f}%", share * 100); }

std::string availability(const StrategyStats& s) {
  return s.availability ? fmt::format("{:.2f}%", *s.availability) : std::string("-");
}

std::string pair_line(const StrategyPair& p) {
  const std::string diff = p.difference ? format_ms(*p.difference) : std::string("no number (a median is > deadline)");
  return fmt::format("{} - {}: {} [{}, {}]: {}{}", p.a, p.b, diff, strategy_bound_text(p.ci_low),
                     strategy_bound_text(p.ci_high), p.verdict,
                     p.iterations_needed ? fmt::format(" (about {} iterations each would tell)", p.iterations_needed) : "");
}

}  // namespace

std::string strategy_time_text(const std::optional<StrategyTime>& t) {
  if (!t) return "-";
  return t->beyond_deadline ? "> deadline" : format_ms(t->value);
}

std::string strategy_bound_text(Nanos b) {
  if (b == Nanos::max()) return "> deadline";
  if (b == -Nanos::max()) return "< -deadline";
  return format_ms(b);
}

namespace {

/// Whether iteration `m` of `r` ran strategy `name`.
bool ran(const RunRecord& r, const IterationMetrics& m, const std::string& name) {
  return m.index >= 1 && static_cast<std::size_t>(m.index) <= r.iteration_strategies.size() &&
         r.iteration_strategies[static_cast<std::size_t>(m.index) - 1] == name;
}

}  // namespace

Nanos strategy_uncertainty(const RunRecord& r, const std::string& name) {
  Nanos out{0};
  for (const auto& m : r.iterations)
    if (ran(r, m, name)) out = std::max(out, m.uncertainty);
  return out;
}

std::optional<Nanos> strategy_mitigate_p95(const RunRecord& r, const std::string& name) {
  std::vector<Nanos> v;
  for (const auto& m : r.iterations)
    if (ran(r, m, name) && m.time_to_mitigate) v.push_back(*m.time_to_mitigate);
  if (v.empty()) return std::nullopt;
  return stats_of(std::move(v)).p95;
}

std::string strategy_table_text(const RunRecord& r) {
  if (!r.comparison) return "";
  const StrategyComparison& c = *r.comparison;
  std::string out = fmt::format("\n  strategies (median recovery compared at {:g}% confidence)\n", c.confidence);
  out += fmt::format("    {:>4}  {:<16} {:>7} {:>13} {:>14} {:>14} {:>14} {:>14} {:>9} {:>6} {:>6} {:>5} {:>8}\n",
                     "rank", "strategy", "n", "each +/-", "recovery p50", "p95", "max", "TTR p50", "2nd out", "fail",
                     "verify", "lost", "avail");
  for (const StrategyStats* s : table_order(c)) {
    out += fmt::format("    {:>4}  {:<16} {:>7} {:>13} {:>14} {:>14} {:>14} {:>14} {:>9} {:>6} {:>6} {:>5} {:>8}\n",
                       s->rank ? std::to_string(s->rank) : "-", s->name,
                       fmt::format("{}/{}", s->iterations, planned(r, s->name)),
                       format_ms(strategy_uncertainty(r, s->name)), strategy_time_text(s->recovery_p50),
                       strategy_time_text(s->recovery_p95), strategy_time_text(s->recovery_max), ms_or_dash(s->ttr_p50),
                       percent(s->secondary_outage_rate), s->failed_steps, s->failed_verifications, s->data_lost,
                       availability(*s));
    if (!s->eligible) out += fmt::format("          not ranked: {}\n", s->ineligible_why);
  }
  for (const auto& p : c.pairs) out += "    " + pair_line(p) + "\n";
  out += "    " + c.conclusion + "\n";
  return out;
}

std::string strategy_table_markdown(const RunRecord& r) {
  if (!r.comparison) return "";
  const StrategyComparison& c = *r.comparison;
  std::string out = fmt::format(
      "\n### Strategies\n\n**{}** (median recovery times compared at {:g}% confidence, bootstrap of {} resamples).\n\n"
      "| Rank | Strategy | Iterations | Each time ± | Recovery p50 | p95 | max | TTR p50 | Time to mitigate p50 | p95 | "
      "Secondary outages | Failed steps | Failed verifications | Data lost | Availability |\n"
      "| ---: | :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
      valid_utf8(c.conclusion), c.confidence, c.bootstrap_resamples);
  for (const StrategyStats* s : table_order(c))
    out += fmt::format("| {} | {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                       s->rank ? std::to_string(s->rank) : "not ranked: " + valid_utf8(s->ineligible_why),
                       valid_utf8(s->name), s->iterations, planned(r, s->name),
                       format_ms(strategy_uncertainty(r, s->name)), strategy_time_text(s->recovery_p50),
                       strategy_time_text(s->recovery_p95), strategy_time_text(s->recovery_max), ms_or_dash(s->ttr_p50),
                       ms_or_dash(s->mitigate_p50), ms_or_dash(strategy_mitigate_p95(r, s->name)),
                       percent(s->secondary_outage_rate), s->failed_steps, s->failed_verifications, s->data_lost,
                       availability(*s));
  if (!c.pairs.empty()) {
    out += "\n| Pair | Difference of medians | Interval | Verdict |\n| :--- | ---: | :---: | :--- |\n";
    for (const auto& p : c.pairs)
      out += fmt::format("| {} - {} | {} | [{}, {}] | {}{} |\n", valid_utf8(p.a), valid_utf8(p.b),
                         p.difference ? format_ms(*p.difference) : std::string("> deadline"),
                         strategy_bound_text(p.ci_low), strategy_bound_text(p.ci_high), valid_utf8(p.verdict),
                         p.iterations_needed ? fmt::format(" (about {} iterations each would tell)", p.iterations_needed)
                                             : "");
  }
  return out;
}

}  // namespace faultline
