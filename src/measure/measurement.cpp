// Episodes, metrics and verdicts from timestamped samples (docs/design.md section 3).
//
// Section 3 is normative; these are the precisions this file adds to it, so
// that every metric has exactly one meaning:
//
// - Only samples with start <= w.observed_until count (observation_complete
//   instead asks about the moment `now`: samples with start <= now).
// - Health: only steady-state probes decide it. Healthy at t = every
//   steady-state probe's latest sample started at or before t is ok; a probe
//   with no sample yet does not make the system unhealthy.
// - t_inject = w.inject; the first episode's deadline = t_inject + give_up_after.
// - t_fail = start of the first failing steady-state sample with start >=
//   w.inject_start. A failure that began before inject_start does not count;
//   only its samples from inject_start on do. None: the fault was absorbed
//   (no impact, recovered, recovery time 0, no episodes).
// - Recovery is a hysteresis over the steady-state samples merged in start
//   order (ties broken by probe declaration order). A candidate T is the
//   start of a sample at which combined health becomes true again. T is
//   confirmed when every steady-state probe has >= recovered_after.samples ok
//   samples with start >= T, none of the steady-state samples started >= T
//   (up to the confirming one) failed, and, when recovered_after.duration > 0,
//   the confirming sample's start - T >= duration. A failure before
//   confirmation discards the candidate, so flapping shorter than
//   recovered_after stays inside one episode. The episode recovers iff a
//   confirmed T <= its deadline exists; t_recover = T (T == deadline counts,
//   and the confirmation itself may come after the deadline).
// - TTD = t_fail - t_inject and recovery time = t_recover - t_inject, both
//   clamped at 0 (a sample may start between inject_start and inject
//   returning); TTR = t_recover - t_fail; recovery after revert =
//   t_recover - t_revert, signed (negative: recovered before the revert).
// - Further episodes: after a confirmed recovery, the next failing
//   steady-state sample opens a new episode, with deadline = its own start +
//   give_up_after. If a later injection lies in [previous t_recover, start]
//   it is a plain episode; else if start <= previous t_recover + watch it is
//   a relapse; else it lies outside the observation and is ignored (the
//   sample is skipped, so a later failing sample after a later injection can
//   still open a plain episode). An unrecovered episode stays open until the
//   end of the observation, so nothing follows it.
// - Availability: per probe (steady-state or not), ok/total over samples
//   with inject_start <= start <= observed_until; "combined" sums the
//   steady-state probes.
// - observation_complete(now) looks at the samples started at or before now
//   and is true when: nothing failed yet, now >= max(t_inject, t_revert,
//   last later injection) + watch, and every steady-state probe has
//   completed recovered_after.samples samples started after that fault end
//   (so that a failing sample still in flight cannot pass for absorption); or the last episode recovered and now >=
//   max(its t_recover, last later injection) + watch (an injection inside
//   the watch window can still open a plain episode, so it is watched too);
//   or an episode is open, now > its deadline and no candidate T <= the
//   deadline awaits confirmation. Always true from first deadline +
//   give_up_after + watch on, so that a run never hangs.
// - Percentiles are nearest-rank (rank = ceil(p * n)); stddev is the
//   population one. Means and deviations are rounded to the nearest ns.
#include "measure/measurement.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <string>

namespace faultline {

namespace {

/// One steady-state sample, reduced to what health needs.
struct Event {
  Nanos start{0};
  std::size_t probe = 0;  ///< index among the steady-state probes
  bool ok = false;
};

enum class Health : unsigned char { none, ok, fail };

/// The steady-state probes in declaration order.
std::vector<const ProbeSeries*> steady_probes(const std::vector<ProbeSeries>& probes) {
  std::vector<const ProbeSeries*> out;
  for (const auto& s : probes)
    if (s.steady_state) out.push_back(&s);
  return out;
}

/// Index of the first sample of `s` that started at or after `t` (samples are
/// in start order, so a binary search keeps repeated calls cheap).
std::size_t first_at_or_after(const ProbeSeries& s, Nanos t) {
  const auto it = std::partition_point(s.samples.begin(), s.samples.end(),
                                       [t](const Sample& x) { return x.start < t; });
  return static_cast<std::size_t>(it - s.samples.begin());
}

/// The steady-state samples with from <= start <= until, merged in start order
/// (ties: probe declaration order), and in `initial` every probe's health
/// just before `from` (its latest earlier sample, if any). Samples before
/// `from` can only matter through that state: no episode begins before the
/// injection started.
std::vector<Event> merged_events(const std::vector<const ProbeSeries*>& steady, Nanos from,
                                 Nanos until, std::vector<Health>& initial) {
  std::vector<Event> events;
  initial.assign(steady.size(), Health::none);
  for (std::size_t k = 0; k < steady.size(); ++k) {
    const auto& samples = steady[k]->samples;
    std::size_t i = first_at_or_after(*steady[k], from);
    if (i > 0 && samples[i - 1].start <= until)
      initial[k] = samples[i - 1].ok ? Health::ok : Health::fail;
    for (; i < samples.size() && samples[i].start <= until; ++i)
      events.push_back({samples[i].start, k, samples[i].ok});
  }
  // Stable: one probe's own samples keep their recorded order.
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.start != b.start ? a.start < b.start : a.probe < b.probe;
  });
  return events;
}

/// The episode state machine: fed the merged steady-state samples one by one,
/// it opens episodes, tracks the recovery candidate and closes episodes once
/// the candidate is confirmed.
class EpisodeScanner {
 public:
  EpisodeScanner(std::vector<Health> initial, const IterationWindow& w, const MeasureParams& p)
      : health_(std::move(initial)), w_(w), p_(p), need_(std::max(0, p.recovered_after.samples)) {
    failing_ = static_cast<std::size_t>(std::count(health_.begin(), health_.end(), Health::fail));
  }

  /// Takes the next sample in merged start order.
  void feed(const Event& e) {
    track_group(e);
    const bool was_healthy = failing_ == 0;
    set_health(e.probe, e.ok ? Health::ok : Health::fail);
    if (!open_) {
      if (!e.ok) maybe_open(e);
      return;
    }
    if (!e.ok) {
      failed_.back()[e.probe] = true;
      candidate_.reset();  // flapping: the outage goes on
      return;
    }
    if (candidate_) {
      ++ok_since_[e.probe];
    } else if (failing_ == 0 && !was_healthy && !group_failed_ && e.start <= deadline_) {
      // A candidate after the deadline could never count, so none is made.
      begin_candidate(e.start);
    } else {
      return;
    }
    if (confirmed(e.start)) close();
  }

  /// The episodes so far, with `failing_probes` named from `steady`.
  std::vector<Episode> episodes(const std::vector<const ProbeSeries*>& steady) const {
    std::vector<Episode> out = episodes_;
    for (std::size_t i = 0; i < out.size(); ++i)
      for (std::size_t k = 0; k < steady.size(); ++k)
        if (failed_[i][k]) out[i].failing_probes.push_back(steady[k]->name);
    return out;
  }

  /// Some steady-state sample failed since the injection started.
  bool impact() const { return !episodes_.empty(); }
  /// The last episode has not recovered (yet, or ever: it stays open).
  bool open() const { return open_; }
  /// A candidate T <= the open episode's deadline awaits confirmation.
  bool awaiting() const { return candidate_.has_value(); }
  /// The open episode's deadline.
  Nanos deadline() const { return deadline_; }
  /// t_recover of the latest recovered episode.
  std::optional<Nanos> last_recovery() const {
    return episodes_.empty() ? std::nullopt : episodes_.back().end;
  }

 private:
  void set_health(std::size_t k, Health h) {
    if (health_[k] == Health::fail) --failing_;
    if (h == Health::fail) ++failing_;
    health_[k] = h;
  }

  /// Remembers which probes had ok samples at the current start time, so that
  /// a candidate T counts the ok samples at T that came before it in the
  /// tie order (they too started >= T).
  void track_group(const Event& e) {
    if (e.start != group_start_) {
      group_start_ = e.start;
      group_ok_.clear();
      group_failed_ = false;
    }
    if (e.ok)
      group_ok_.push_back(e.probe);
    else
      group_failed_ = true;
  }

  void maybe_open(const Event& e) {
    if (episodes_.empty()) {
      open_episode(e, false, w_.inject + p_.give_up_after);
      return;
    }
    const Nanos previous = *episodes_.back().end;
    const bool injected = std::any_of(w_.later_injections.begin(), w_.later_injections.end(),
                                      [&](Nanos x) { return previous <= x && x <= e.start; });
    if (injected)
      open_episode(e, false, e.start + p_.give_up_after);
    else if (e.start <= previous + p_.watch)
      open_episode(e, true, e.start + p_.give_up_after);
    // Otherwise past the watch window with no new fault: outside the observation.
  }

  void open_episode(const Event& e, bool relapse, Nanos deadline) {
    Episode ep;
    ep.start = e.start;
    ep.relapse = relapse;
    episodes_.push_back(ep);
    failed_.emplace_back(health_.size(), false);
    failed_.back()[e.probe] = true;
    open_ = true;
    deadline_ = deadline;
    candidate_.reset();
  }

  void begin_candidate(Nanos t) {
    candidate_ = t;
    ok_since_.assign(health_.size(), 0);
    for (std::size_t k : group_ok_) ++ok_since_[k];
  }

  bool confirmed(Nanos at) const {
    for (int n : ok_since_)
      if (n < need_) return false;
    const Nanos span = p_.recovered_after.duration;
    return span.count() <= 0 || at - *candidate_ >= span;
  }

  void close() {
    episodes_.back().end = *candidate_;
    candidate_.reset();
    open_ = false;
  }

  std::vector<Health> health_;
  std::size_t failing_ = 0;  ///< probes whose latest sample failed
  const IterationWindow& w_;
  const MeasureParams& p_;
  int need_;

  Nanos group_start_{0};
  std::vector<std::size_t> group_ok_;
  bool group_failed_ = false;

  std::vector<Episode> episodes_;
  std::vector<std::vector<bool>> failed_;  ///< per episode, per steady-state probe
  bool open_ = false;
  Nanos deadline_{0};
  std::optional<Nanos> candidate_;
  std::vector<int> ok_since_;  ///< ok samples per probe with start >= candidate
};

/// Runs the state machine over the steady-state samples of the iteration that
/// started at or before `until`.
EpisodeScanner scan(const std::vector<ProbeSeries>& probes, const IterationWindow& w,
                    const MeasureParams& p, Nanos until) {
  const auto steady = steady_probes(probes);
  std::vector<Health> initial;
  const auto events = merged_events(steady, w.inject_start, until, initial);
  EpisodeScanner scanner(std::move(initial), w, p);
  for (const auto& e : events) scanner.feed(e);
  return scanner;
}

std::vector<Availability> availability_of(const std::vector<ProbeSeries>& probes,
                                          const IterationWindow& w) {
  std::vector<Availability> out;
  Availability combined{"combined", 0, 0};
  for (const auto& s : probes) {
    Availability a{s.name, 0, 0};
    for (std::size_t i = first_at_or_after(s, w.inject_start);
         i < s.samples.size() && s.samples[i].start <= w.observed_until; ++i) {
      ++a.total;
      if (s.samples[i].ok) ++a.ok;
    }
    if (s.steady_state) {
      combined.ok += a.ok;
      combined.total += a.total;
    }
    out.push_back(std::move(a));
  }
  out.push_back(std::move(combined));
  return out;
}

Nanos clamp0(Nanos d) { return std::max(d, Nanos{0}); }

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

Verdict judge_rto(Nanos limit, const std::vector<IterationMetrics>& iterations,
                  const MeasureParams& p) {
  Verdict v = verdict("rto");
  v.limit = format_ms(limit);
  std::vector<int> unrecovered;
  const IterationMetrics* worst_it = nullptr;
  for (const auto& it : iterations) {
    if (!it.recovery_time) {
      unrecovered.push_back(it.index);
    } else if (!worst_it || *it.recovery_time > *worst_it->recovery_time) {
      worst_it = &it;
    }
  }
  if (!unrecovered.empty()) {
    v.passed = false;
    v.measured = beyond(p);
    v.detail = fmt::format("not recovered within {} in iteration{} {}",
                           format_ms(p.give_up_after), unrecovered.size() > 1 ? "s" : "",
                           fmt::join(unrecovered, ", "));
    return v;
  }
  if (!worst_it) {
    v.passed = true;
    v.measured = "no iterations";
    return v;
  }
  judge_duration(v, *worst_it->recovery_time, limit, worst_it->index);
  return v;
}

Verdict judge_ttd(Nanos limit, const std::vector<IterationMetrics>& iterations) {
  Verdict v = verdict("ttd");
  v.limit = format_ms(limit);
  const IterationMetrics* worst_it = nullptr;
  for (const auto& it : iterations)
    if (it.impact && it.ttd && (!worst_it || *it.ttd > *worst_it->ttd)) worst_it = &it;
  if (!worst_it) {
    v.passed = true;
    v.measured = "no impact";
    v.detail = "the fault was absorbed in every iteration";
    return v;
  }
  judge_duration(v, *worst_it->ttd, limit, worst_it->index);
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
  v.detail = worst_it ? worst(worst_it->index) : "no relapses";
  return v;
}

double combined_percent(const std::vector<Availability>& availability) {
  for (const auto& a : availability)
    if (a.probe == "combined") return a.percent();
  return 100.0;
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
  return v;
}

/// Adds `from` into `into`, matching entries by probe name; "combined" stays last.
void add_availability(std::vector<Availability>& into, const std::vector<Availability>& from) {
  for (const auto& a : from) {
    auto it = std::find_if(into.begin(), into.end(),
                           [&](const Availability& x) { return x.probe == a.probe; });
    if (it == into.end()) {
      const auto combined = std::find_if(into.begin(), into.end(),
                                         [](const Availability& x) { return x.probe == "combined"; });
      it = into.insert(a.probe == "combined" ? into.end() : combined, Availability{a.probe, 0, 0});
    }
    it->ok += a.ok;
    it->total += a.total;
  }
}

/// p50/p99 of the latencies of `s`'s ok samples with from <= start < until.
LatencySummary latency_between(const ProbeSeries& s, Nanos from, Nanos until) {
  std::vector<Nanos> v;
  for (std::size_t i = first_at_or_after(s, from); i < s.samples.size() && s.samples[i].start < until; ++i)
    if (s.samples[i].ok) v.push_back(s.samples[i].latency());
  LatencySummary out;
  out.count = v.size();
  if (v.empty()) return out;
  std::sort(v.begin(), v.end());
  auto rank = [&](std::size_t pct) { return v[std::max<std::size_t>(1, (pct * v.size() + 99) / 100) - 1]; };
  out.p50 = rank(50);
  out.p99 = rank(99);
  return out;
}

/// Every probe's latency before, during and after the fault (see ProbeLatency).
std::vector<ProbeLatency> latency_of(const std::vector<ProbeSeries>& probes, const IterationMetrics& m) {
  const Nanos fault_end = m.revert ? *m.revert : m.t_recover ? *m.t_recover : m.inject;
  const Nanos end = m.observed_until + Nanos{1};  // observed_until is inclusive
  std::vector<ProbeLatency> out;
  for (const auto& s : probes)
    out.push_back({s.name, latency_between(s, m.start, m.inject_start),
                   latency_between(s, m.inject_start, std::max(fault_end, m.inject_start)),
                   latency_between(s, std::max(fault_end, m.inject_start), end)});
  return out;
}

}  // namespace

IterationMetrics measure_iteration(const std::vector<ProbeSeries>& probes,
                                   const IterationWindow& w, const MeasureParams& p) {
  IterationMetrics m;
  m.index = w.index;
  m.start = w.start;
  m.inject_start = w.inject_start;
  m.inject = w.inject;
  m.revert = w.revert;
  m.deadline = w.inject + p.give_up_after;
  m.observed_until = w.observed_until;
  for (const auto& s : probes)
    if (s.steady_state) m.uncertainty = std::max(m.uncertainty, s.interval);
  m.availability = availability_of(probes, w);

  const auto steady = steady_probes(probes);
  m.episodes = scan(probes, w, p, w.observed_until).episodes(steady);
  if (m.episodes.empty()) {  // absorbed
    m.recovered = true;
    m.recovery_time = Nanos{0};
    m.latency = latency_of(probes, m);
    return m;
  }
  const Episode& first = m.episodes.front();
  m.impact = true;
  m.t_fail = first.start;
  m.ttd = clamp0(first.start - w.inject);
  if (first.end) {
    m.t_recover = first.end;
    m.recovered = true;
    m.ttr = *first.end - first.start;
    m.recovery_time = clamp0(*first.end - w.inject);
    if (w.revert) m.recovery_after_revert = *first.end - *w.revert;
  }
  m.relapses = static_cast<int>(
      std::count_if(m.episodes.begin(), m.episodes.end(), [](const Episode& e) { return e.relapse; }));
  m.latency = latency_of(probes, m);
  return m;
}

bool observation_complete(const std::vector<ProbeSeries>& probes, const IterationWindow& w,
                          const MeasureParams& p, Nanos now) {
  // Hard cap: never observe longer than two deadlines and a watch window.
  if (now >= w.inject + p.give_up_after + p.give_up_after + p.watch) return true;

  Nanos last_injection = w.inject;
  for (Nanos x : w.later_injections) last_injection = std::max(last_injection, x);

  const EpisodeScanner s = scan(probes, w, p, now);
  if (!s.impact()) {  // absorbed so far: watch after the last injection or revert
    const Nanos fault_end = std::max(last_injection, w.revert.value_or(w.inject));
    if (now < fault_end + p.watch) return false;
    // Absorption must be observed, not assumed: every steady-state probe has
    // completed recovered_after.samples samples that started after the fault
    // ended (a probe runs one execution at a time, so every earlier sample of
    // it, the one that might show the impact, has completed too).
    const auto need = static_cast<std::size_t>(std::max(1, p.recovered_after.samples));
    for (const ProbeSeries* sp : steady_probes(probes)) {
      std::size_t seen = 0;
      for (std::size_t i = first_at_or_after(*sp, fault_end); i < sp->samples.size(); ++i)
        if (sp->samples[i].start <= now) ++seen;
      if (seen < need) return false;
    }
    return true;
  }
  if (!s.open())  // recovered: watch after the last recovery (and any later injection)
    return now >= std::max(*s.last_recovery(), last_injection) + p.watch;
  return now > s.deadline() && !s.awaiting();
}

Stats stats_of(std::vector<Nanos> values) {
  Stats s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  // Nearest rank: the ceil(p * n)-th smallest value, p as a percentage.
  auto rank = [&](std::size_t pct) { return values[std::max<std::size_t>(1, (pct * n + 99) / 100) - 1]; };
  long double sum = 0;
  for (Nanos v : values) sum += static_cast<long double>(v.count());
  const long double mean = sum / static_cast<long double>(n);
  long double squares = 0;
  for (Nanos v : values) {
    const long double d = static_cast<long double>(v.count()) - mean;
    squares += d * d;
  }
  s.count = n;
  s.mean = Nanos(std::llround(mean));
  s.p50 = rank(50);
  s.p95 = rank(95);
  s.max = values.back();
  s.stddev = Nanos(std::llround(std::sqrt(squares / static_cast<long double>(n))));
  return s;
}

RunStatistics summarize(const std::vector<IterationMetrics>& iterations) {
  RunStatistics r;
  std::vector<Nanos> ttd, ttr, recovery;
  std::size_t relapsing = 0;
  for (const auto& it : iterations) {
    if (it.impact && it.ttd) ttd.push_back(*it.ttd);
    if (it.recovery_time) recovery.push_back(*it.recovery_time);
    for (const auto& ep : it.episodes) {
      ++r.episodes;
      if (ep.end)
        ttr.push_back(*ep.ttr());
      else
        ++r.unrecovered_episodes;
    }
    r.recurrence += it.relapses;
    if (it.relapses > 0) ++relapsing;
    add_availability(r.availability, it.availability);
  }
  r.ttd = stats_of(std::move(ttd));
  r.ttr = stats_of(std::move(ttr));
  r.recovery_time = stats_of(std::move(recovery));
  r.recurrence_rate =
      iterations.empty() ? 0.0 : static_cast<double>(relapsing) / static_cast<double>(iterations.size());
  return r;
}

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
