// The thresholds of a scenario judged against the measured iterations
// (docs/design.md section 3, docs/measurement.md "Verdicts"): `rto` and `ttd`
// over every injection of every iteration, the worst one named with its
// bracket when that is wider than one probe interval; `mttr` on the mean TTR;
// `max_recurrence` on the relapses of the run; `min_availability` on the
// combined time share. A pure function of the metrics.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <functional>
#include <string>

#include "measure/blind_spots.hpp"
#include "measure/measurement.hpp"

namespace faultline {

namespace {

/// "+1587.882 ms" / "-12.000 ms": a signed duration for margins.
std::string signed_ms(Nanos d) {
  std::string s = format_ms(d);
  return s.front() == '-' ? s : "+" + s;
}

std::string percent_text(double v) { return fmt::format("{:.2f} %", v); }

/// "+0.80 %" / "-0.80 %"; a margin that rounds to zero is shown as "+0.00 %".
std::string signed_percent(double v) {
  if (std::abs(v) < 0.005) v = 0.0;
  return fmt::format("{:+.2f} %", v);
}

Verdict verdict(std::string threshold) {
  Verdict v;
  v.threshold = std::move(threshold);
  v.scope = "run";
  return v;
}

std::string worst(int index) { return fmt::format("worst: iteration {}", index); }

/// "> 30000.000 ms": a deadline-bound value that was never reached.
std::string beyond(const MeasureParams& p) { return "> " + format_ms(p.give_up_after); }

/// Judges an upper-bound duration; `worst_index` names the iteration.
void judge_duration(Verdict& v, Nanos measured, Nanos limit, int worst_index) {
  v.passed = measured <= limit;
  v.measured = format_ms(measured);
  v.limit = format_ms(limit);
  v.margin = signed_ms(limit - measured);
  v.detail = worst(worst_index);
}

/// "iteration 2" or "iteration 2, 'kill (2/3)'" when the iteration had several injections.
std::string injection_name(const IterationMetrics& it, const InjectionMetrics& im) {
  if (it.injections.size() <= 1 || im.fault.empty()) return fmt::format("iteration {}", it.index);
  return fmt::format("iteration {}, '{}'", it.index, im.fault);
}

/// Judges the worst of the figures `get` returns (none: skipped) against `limit`.
void judge_worst(Verdict& v, Nanos limit, std::vector<std::pair<const IterationMetrics*, InjectionMetrics>> all,
                 const std::function<std::optional<Nanos>(const InjectionMetrics&)>& get,
                 const std::function<std::optional<Bracket>(const InjectionMetrics&)>& bracket) {
  const std::pair<const IterationMetrics*, InjectionMetrics>* worst_one = nullptr;
  for (const auto& x : all)
    if (get(x.second) && (!worst_one || *get(x.second) > *get(worst_one->second))) worst_one = &x;
  const Nanos measured = *get(worst_one->second);
  v.passed = measured <= limit;
  v.measured = format_ms(measured);
  v.limit = format_ms(limit);
  v.margin = signed_ms(limit - measured);
  v.detail = "worst: " + injection_name(*worst_one->first, worst_one->second);
  const std::string note = bracket_note(measured, bracket(worst_one->second), worst_one->first->uncertainty);
  if (!note.empty()) v.detail += "; " + note;
  // Named only when some iteration had several injections.
  const auto last = std::unique(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first == b.first; });
  if (last - all.begin() < static_cast<std::ptrdiff_t>(all.size()))
    v.detail += fmt::format("; {} injections judged", all.size());
}

Verdict judge_rto(Nanos limit, const std::vector<IterationMetrics>& iterations,
                  const MeasureParams& p) {
  Verdict v = verdict("rto");
  v.limit = format_ms(limit);
  const auto all = all_injections(iterations);
  std::vector<std::string> unrecovered;
  std::vector<int> iterations_unrecovered;  // when each had one injection: "iterations 2, 3"
  bool several = false;
  for (const auto& [it, im] : all)
    if (!im.recovery_time) {
      unrecovered.push_back(injection_name(*it, im));
      iterations_unrecovered.push_back(it->index);
      several |= it->injections.size() > 1;
    }
  if (!unrecovered.empty()) {
    v.passed = false;
    v.measured = beyond(p);
    v.detail = several ? fmt::format("not recovered within {} in {}", format_ms(p.give_up_after), fmt::join(unrecovered, "; "))
                       : fmt::format("not recovered within {} in iteration{} {}", format_ms(p.give_up_after),
                                     unrecovered.size() > 1 ? "s" : "", fmt::join(iterations_unrecovered, ", "));
    return v;
  }
  if (all.empty()) {
    v.passed = true;
    v.measured = "no iterations";
    return v;
  }
  judge_worst(v, limit, all, [](const InjectionMetrics& im) { return im.recovery_time; },
              [](const InjectionMetrics& im) { return im.recovery_bracket; });
  return v;
}

/// The counts' resolution (blind_spots.hpp) from the coarsest steady-state
/// interval, which every iteration's uncertainty is.
Nanos counts_resolution(const std::vector<IterationMetrics>& iterations) {
  return iterations.empty() ? Nanos{0} : resolution_for(iterations.front().uncertainty);
}

Verdict judge_ttd(Nanos limit, const std::vector<IterationMetrics>& iterations) {
  Verdict v = verdict("ttd");
  v.limit = format_ms(limit);
  const auto all = all_injections(iterations);
  auto ttd = [](const InjectionMetrics& im) { return im.impact ? im.ttd : std::nullopt; };
  if (std::none_of(all.begin(), all.end(), [&](const auto& x) { return ttd(x.second).has_value(); })) {
    v.passed = true;
    v.measured = "no impact";
    const Nanos resolution = counts_resolution(iterations);
    v.detail = resolution.count() > 0
                   ? fmt::format("the fault was absorbed in every iteration (no outage longer than {}, the counts' "
                                 "resolution)", format_ms(resolution))
                   : "the fault was absorbed in every iteration";
    return v;
  }
  judge_worst(v, limit, all, ttd, [](const InjectionMetrics& im) { return im.ttd_bracket; });
  return v;
}

Verdict judge_mttr(Nanos limit, const std::vector<IterationMetrics>& iterations,
                   const RunStatistics& stats, const MeasureParams& p) {
  Verdict v = verdict("mttr");
  v.limit = format_ms(limit);
  if (stats.unrecovered_episodes > 0) {
    v.passed = false;
    v.measured = beyond(p);
    v.detail = fmt::format("{} of {} episodes not recovered", stats.unrecovered_episodes,
                           stats.episodes);
    return v;
  }
  if (stats.episodes == 0 || stats.ttr.count == 0) {
    v.passed = true;
    v.measured = format_ms(Nanos{0});
    v.margin = signed_ms(limit);
    v.detail = "no episodes";
    return v;
  }
  // The worst iteration is the one holding the longest episode.
  int worst_index = 0;
  Nanos longest{-1};
  for (const auto& it : iterations)
    for (const auto& ep : it.episodes)
      if (ep.end && *ep.ttr() > longest) {
        longest = *ep.ttr();
        worst_index = it.index;
      }
  judge_duration(v, stats.ttr.mean, limit, worst_index);
  return v;
}

Verdict judge_recurrence(int limit, const std::vector<IterationMetrics>& iterations,
                         const RunStatistics& stats) {
  Verdict v = verdict("max_recurrence");
  v.passed = stats.recurrence <= limit;
  v.measured = std::to_string(stats.recurrence);
  v.limit = std::to_string(limit);
  v.margin = fmt::format("{:+d}", limit - stats.recurrence);
  const IterationMetrics* worst_it = nullptr;
  for (const auto& it : iterations)
    if (it.relapses > 0 && (!worst_it || it.relapses > worst_it->relapses)) worst_it = &it;
  const Nanos resolution = counts_resolution(iterations);
  v.detail = worst_it               ? worst(worst_it->index)
             : resolution.count() > 0 ? fmt::format("no relapses longer than {} (the counts' resolution)",
                                                    format_ms(resolution))
                                      : "no relapses";
  // Relapses counted across a blind spot are a lower bound: one over the
  // limit fails for certain, one within it proves nothing (inconclusive).
  const IterationMetrics* blind_it = nullptr;
  for (const auto& it : iterations)
    if (it.blind.count() > 0 && (!blind_it || it.blind > blind_it->blind)) blind_it = &it;
  if (v.passed && blind_it) {
    v.passed = false;
    v.inconclusive = true;
    v.measured = fmt::format("at least {}", stats.recurrence);
    v.margin.clear();
    v.detail = fmt::format("{} in iteration {}", lower_bound_note(stats.recurrence, "relapse(s)", blind_it->blind,
                                                                   blind_it->blind_start),
                           blind_it->index);
  }
  return v;
}

const Availability* combined_of(const std::vector<Availability>& availability) {
  for (const auto& a : availability)
    if (a.probe == "combined") return &a;
  return nullptr;
}

double combined_percent(const std::vector<Availability>& availability) {
  const Availability* a = combined_of(availability);
  return a ? a->percent() : 100.0;
}

Verdict judge_availability(double limit, const std::vector<IterationMetrics>& iterations,
                           const RunStatistics& stats) {
  Verdict v = verdict("min_availability");
  const double measured = combined_percent(stats.availability);
  v.passed = measured >= limit;
  v.measured = percent_text(measured);
  v.limit = percent_text(limit);
  v.margin = signed_percent(measured - limit);
  const IterationMetrics* worst_it = nullptr;
  for (const auto& it : iterations)
    if (!worst_it || combined_percent(it.availability) < combined_percent(worst_it->availability))
      worst_it = &it;
  if (worst_it) v.detail = worst(worst_it->index);
  // What the samples allow (docs/measurement.md, "The bracket"), and
  // whether the limit lies inside it: then the point figure decided.
  if (const Availability* c = combined_of(stats.availability)) {
    const std::string low = percent_text(c->percent_low()), high = percent_text(c->percent_high());
    if (low != high)
      v.detail += fmt::format("{}between {} and {}{}", v.detail.empty() ? "" : "; ", low, high,
                              limit > c->percent_low() && limit <= c->percent_high()
                                  ? " (the limit lies inside: the point figure decided)"
                                  : "");
  }
  return v;
}

}  // namespace

std::vector<Verdict> judge(const Thresholds& t, const std::vector<IterationMetrics>& iterations,
                           const RunStatistics& stats, const MeasureParams& p) {
  std::vector<Verdict> out;
  if (t.rto) out.push_back(judge_rto(*t.rto, iterations, p));
  if (t.ttd) out.push_back(judge_ttd(*t.ttd, iterations));
  if (t.mttr) out.push_back(judge_mttr(*t.mttr, iterations, stats, p));
  if (t.max_recurrence) out.push_back(judge_recurrence(*t.max_recurrence, iterations, stats));
  if (t.min_availability) out.push_back(judge_availability(*t.min_availability, iterations, stats));
  return out;
}

}  // namespace faultline
