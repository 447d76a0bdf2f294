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
// - Availability: per probe (steady-state or not), over [inject_start,
//   observed_until]; the share of time healthy as availability.cpp
//   reconstructs it, and ok/total over samples with inject_start <= start
//   <= observed_until; "combined" takes the steady-state probes together.
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

#include "measure/availability.hpp"
#include "measure/blind_spots.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fmt/format.h>
#include <functional>
#include <fmt/ranges.h>
#include <string>

namespace faultline {

namespace {

/// One steady-state sample that is evidence, reduced to what health and
/// brackets need.
struct Event {
  Nanos start{0};
  Nanos end{0};
  std::size_t probe = 0;  ///< index among the steady-state probes
  bool ok = false;
  bool hung = false;  ///< it took longer than its probe's interval
  /// A fold (sample_fold.hpp) stands for `count` samples of its probe's
  /// outcome, started from `start` to `last_start`; a kept sample for itself.
  std::uint64_t count = 1;
  Nanos last_start{0};
};

/// Where an ok sample shows the system healthy again: its start when it
/// answered within one interval, else its end (a sample that hung proves
/// health only when its answer came).
Nanos evidence_of_health(const Event& e) { return e.hung ? e.end : e.start; }

enum class Health : unsigned char { none, ok, fail };

Nanos clamp0(Nanos d) { return std::max(d, Nanos{0}); }

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

/// The steady-state samples that are evidence with from <= start <= until,
/// merged in start order (ties: probe declaration order); in `initial` every
/// probe's health just before `from` (its latest earlier sample that is
/// evidence, if any) and in `before` that sample's start (or `from`). Samples
/// before `from` can only matter through that state: no episode begins
/// before the injection started.
std::vector<Event> merged_events(const std::vector<const ProbeSeries*>& steady, Nanos from, Nanos until,
                                 std::vector<Health>& initial, std::vector<Nanos>& before) {
  std::vector<Event> events;
  initial.assign(steady.size(), Health::none);
  before.assign(steady.size(), from);
  for (std::size_t k = 0; k < steady.size(); ++k) {
    const auto& samples = steady[k]->samples;
    const std::size_t first = first_at_or_after(*steady[k], from);
    for (std::size_t j = first; j > 0; --j) {
      const Sample& x = samples[j - 1];
      if (x.harness_decided || x.start > until) continue;
      initial[k] = x.ok ? Health::ok : Health::fail;
      before[k] = x.start;
      break;
    }
    const auto& folds = steady[k]->folds;
    std::size_t f = first_fold_from(folds, first);
    for (std::size_t i = first; i < samples.size() && samples[i].start <= until; ++i) {
      if (!samples[i].harness_decided)
        events.push_back({samples[i].start, samples[i].end, k, samples[i].ok,
                          samples[i].latency() > steady[k]->interval, 1, samples[i].start});
      // Folded samples after it have its outcome; no fold straddles `until`
      // (a cut) unless it is the present moment, which every fold precedes.
      for (; f < folds.size() && folds[f].after == i; ++f)
        if (folds[f].last_start <= until)
          events.push_back({folds[f].first_start, folds[f].last_end, k, samples[i].ok, false, folds[f].count,
                            folds[f].last_start});
    }
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
  EpisodeScanner(std::vector<Health> initial, std::vector<Nanos> before, const IterationWindow& w,
                 const MeasureParams& p, Nanos resolution)
      : health_(std::move(initial)), previous_start_(std::move(before)), w_(w), p_(p),
        need_(std::max(0, p.recovered_after.samples)), resolution_(resolution) {
    failing_ = static_cast<std::size_t>(std::count(health_.begin(), health_.end(), Health::fail));
    for (std::size_t k = 0; k < health_.size(); ++k)
      if (health_[k] == Health::fail) last_fail_start_ = std::max(last_fail_start_, previous_start_[k]);
  }

  /// Takes the next sample in merged start order.
  void feed(const Event& e) {
    track_group(e);
    const bool was_healthy = failing_ == 0;
    const Nanos previous = previous_start_[e.probe];
    previous_start_[e.probe] = e.last_start;
    set_health(e.probe, e.ok ? Health::ok : Health::fail);
    if (!e.ok) last_fail_start_ = std::max(last_fail_start_, e.last_start);
    if (!open_) {
      if (!e.ok) maybe_open(e, previous);
      return;
    }
    if (!e.ok) {
      failed_.back()[e.probe] = true;
      candidate_.reset();  // flapping: the outage goes on
      return;
    }
    if (candidate_) {
      ok_since_[e.probe] += static_cast<int>(std::min<std::uint64_t>(e.count, 1'000'000));
    } else if (failing_ == 0 && !was_healthy && !group_failed_ && evidence_of_health(e) <= deadline_) {
      // A candidate after the deadline could never count, so none is made.
      begin_candidate(e);
    } else {
      return;
    }
    if (confirmed(e.last_start)) close();
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

  /// The injection (1-based) that started last at or before `t`; 1 when none did.
  int injection_at(Nanos t) const {
    int out = 1;
    for (std::size_t j = 0; j < w_.later_injections.size(); ++j)
      if (w_.later_injections[j].start <= t) out = static_cast<int>(j) + 2;
    return out;
  }

  void maybe_open(const Event& e, Nanos previous_start) {
    if (episodes_.empty()) {
      // The first episode's deadline comes from the injection it follows
      // (the first one's unless that one was absorbed).
      const int j = injection_at(e.start);
      const Nanos t_inject = j == 1 ? w_.inject : w_.later_injections[static_cast<std::size_t>(j) - 2].inject;
      open_episode(e, false, t_inject + p_.give_up_after, j, previous_start);
      return;
    }
    const Nanos previous = *episodes_.back().end;
    const bool injected = std::any_of(w_.later_injections.begin(), w_.later_injections.end(),
                                      [&](const LaterInjection& x) { return previous <= x.start && x.start <= e.start; });
    if (injected)
      open_episode(e, false, e.start + p_.give_up_after, injection_at(e.start), previous_start);
    else if (e.start <= previous + p_.watch)
      open_episode(e, true, e.start + p_.give_up_after, episodes_.back().injection, previous_start);
    // Otherwise past the watch window with no new fault: outside the observation.
  }

  /// [earliest, latest] widened to at least one interval either side of `point`.
  Bracket widen(Nanos earliest, Nanos latest, Nanos point) const {
    return {std::min(earliest, point - resolution_), std::max(latest, point + resolution_)};
  }

  void open_episode(const Event& e, bool relapse, Nanos deadline, int injection, Nanos previous_start) {
    Episode ep;
    ep.start = e.start;
    ep.relapse = relapse;
    ep.injection = injection;
    // The outage began after the probe's previous sample (it was ok, or
    // before the injection) started and before this one's outcome was known.
    ep.start_bracket = widen(std::min(previous_start, e.start), e.end, e.start);
    episodes_.push_back(ep);
    failed_.emplace_back(health_.size(), false);
    failed_.back()[e.probe] = true;
    open_ = true;
    deadline_ = deadline;
    candidate_.reset();
  }

  void begin_candidate(const Event& e) {
    candidate_ = evidence_of_health(e);
    // Health came back after the latest failing sample started and before
    // this sample's answer came.
    candidate_bracket_ = widen(std::min(last_fail_start_, *candidate_), e.end, *candidate_);
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
    Episode& ep = episodes_.back();
    ep.end = *candidate_;
    ep.end_bracket = candidate_bracket_;
    ep.ttr_bracket = Bracket{clamp0(candidate_bracket_.earliest - ep.start_bracket.latest),
                             clamp0(candidate_bracket_.latest - ep.start_bracket.earliest)};
    candidate_.reset();
    open_ = false;
  }

  std::vector<Health> health_;
  std::vector<Nanos> previous_start_;  ///< per probe: its latest sample's start
  Nanos last_fail_start_{0};           ///< the latest start of a failing sample
  std::size_t failing_ = 0;  ///< probes whose latest sample failed
  const IterationWindow& w_;
  const MeasureParams& p_;
  int need_;
  Nanos resolution_;  ///< the lower bound of every bracket's half-width
  Bracket candidate_bracket_;

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
  std::vector<Nanos> before;
  const auto events = merged_events(steady, w.inject_start, until, initial, before);
  EpisodeScanner scanner(std::move(initial), std::move(before), w, p, coarsest_steady_interval(probes));
  for (const auto& e : events) scanner.feed(e);
  return scanner;
}

/// p50/p99 of the latencies of `s`'s ok samples with from <= start < until.
LatencySummary latency_between(const ProbeSeries& s, Nanos from, Nanos until) {
  LatencyTally v;
  const std::size_t first = first_at_or_after(s, from);
  std::size_t f = first_fold_from(s.folds, first);
  for (std::size_t i = first; i < s.samples.size() && s.samples[i].start < until; ++i) {
    if (s.samples[i].ok) v.add(s.samples[i].latency());
    // Folded samples have the outcome of the one before them; no fold straddles `until`.
    for (; f < s.folds.size() && s.folds[f].after == i; ++f)
      if (s.samples[i].ok && s.folds[f].last_start < until)
        v.add(s.folds[f].latency, s.folds[f].latency_min, s.folds[f].latency_max);
  }
  LatencySummary out;
  out.count = static_cast<std::size_t>(v.count());
  if (out.count == 0) return out;
  out.p50 = v.percentile(50);
  out.p99 = v.percentile(99);
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

/// A bracket of absolute times as a bracket of durations since `t` (clamped at 0).
Bracket since(const Bracket& b, Nanos t) { return {clamp0(b.earliest - t), clamp0(b.latest - t)}; }

/// Each injection's own figures (docs/measurement.md, "Every injection"): the
/// first episode that is no relapse and follows it; or, when it came while an
/// episode was open, that episode (no TTD of its own); else it was absorbed.
std::vector<InjectionMetrics> injections_of(const IterationWindow& w, const std::vector<Episode>& episodes) {
  std::vector<InjectionMetrics> out;
  auto injection = [](const std::string& fault, Nanos start, Nanos inject) {
    InjectionMetrics im;
    im.fault = fault;
    im.inject_start = start;
    im.inject = inject;
    return im;
  };
  out.push_back(injection(w.first_fault, w.inject_start, w.inject));
  for (const auto& x : w.later_injections) out.push_back(injection(x.fault, x.start, x.inject));
  for (std::size_t j = 0; j < out.size(); ++j) {
    InjectionMetrics& im = out[j];
    const int number = static_cast<int>(j) + 1;
    for (std::size_t e = 0; e < episodes.size() && im.episode == 0; ++e) {
      const Episode& ep = episodes[e];
      if (!ep.relapse && ep.injection == number) {
        im.impact = true;
        im.ttd = clamp0(ep.start - im.inject);
        im.ttd_bracket = since(ep.start_bracket, im.inject);
      } else if (!(ep.start < im.inject_start && (!ep.end || *ep.end > im.inject_start))) {
        continue;
      } else {
        im.during_outage = true;
      }
      im.episode = static_cast<int>(e) + 1;
      if (ep.end) {
        im.recovered = true;
        im.recovery_time = clamp0(*ep.end - im.inject);
        im.recovery_bracket = since(*ep.end_bracket, im.inject);
      }
    }
    if (im.episode == 0) {  // absorbed
      im.recovered = true;
      im.recovery_time = Nanos{0};
    }
  }
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
  m.uncertainty = coarsest_steady_interval(probes);
  m.availability = availability_over(probes, w.inject_start, w.observed_until, p.stalls);
  for (const auto& s : probes)
    if (s.steady_state)
      for (std::size_t i = first_at_or_after(s, w.inject_start); i < s.samples.size() && s.samples[i].start <= w.observed_until; ++i)
        m.harness_decided += s.samples[i].harness_decided ? 1 : 0;

  const auto steady = steady_probes(probes);
  m.episodes = scan(probes, w, p, w.observed_until).episodes(steady);
  m.injections = injections_of(w, m.episodes);
  m.relapses = static_cast<int>(
      std::count_if(m.episodes.begin(), m.episodes.end(), [](const Episode& e) { return e.relapse; }));
  // Where an outage could have hidden from every sample: the counts are then lower bounds.
  if (const auto blind = longest_blind_spot(probes, w.inject_start, w.observed_until, p.stalls)) {
    m.blind = blind->length;
    m.blind_start = blind->start;
  }
  if (m.episodes.empty()) {  // absorbed
    m.recovered = true;
    m.recovery_time = Nanos{0};
    // Absorption is a finding only when it was seen: samples the harness
    // decided in the window, or a blind spot there, may hide the impact.
    m.undetermined = m.harness_decided > 0 || m.blind.count() > 0;
    m.latency = latency_of(probes, m);
    return m;
  }
  const Episode& first = m.episodes.front();
  m.impact = true;
  m.t_fail = first.start;
  m.ttd = clamp0(first.start - w.inject);
  m.ttd_bracket = since(first.start_bracket, w.inject);
  if (first.end) {
    m.t_recover = first.end;
    m.recovered = true;
    m.ttr = *first.end - first.start;
    m.ttr_bracket = first.ttr_bracket;
    m.recovery_time = clamp0(*first.end - w.inject);
    m.recovery_bracket = since(*first.end_bracket, w.inject);
    if (w.revert) m.recovery_after_revert = *first.end - *w.revert;
  }
  m.latency = latency_of(probes, m);
  return m;
}

bool observation_complete(const std::vector<ProbeSeries>& probes, const IterationWindow& w,
                          const MeasureParams& p, Nanos now) {
  // Hard cap: never observe longer than two deadlines and a watch window.
  if (now >= w.inject + p.give_up_after + p.give_up_after + p.watch) return true;

  Nanos last_injection = w.inject;
  for (const auto& x : w.later_injections) last_injection = std::max(last_injection, x.start);

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
      const std::size_t first = first_at_or_after(*sp, fault_end);
      for (std::size_t i = first; i < sp->samples.size(); ++i)
        if (sp->samples[i].start <= now) ++seen;
      for (std::size_t f = first_fold_from(sp->folds, first); f < sp->folds.size(); ++f)
        if (sp->folds[f].last_start <= now) seen += static_cast<std::size_t>(sp->folds[f].count);
      if (seen < need) return false;
    }
    return true;
  }
  if (!s.open())  // recovered: watch after the last recovery (and any later injection)
    return now >= std::max(*s.last_recovery(), last_injection) + p.watch;
  return now > s.deadline() && !s.awaiting();
}

std::vector<std::pair<const IterationMetrics*, InjectionMetrics>> all_injections(
    const std::vector<IterationMetrics>& iterations) {
  std::vector<std::pair<const IterationMetrics*, InjectionMetrics>> out;
  for (const auto& it : iterations) {
    if (!it.injections.empty()) {
      for (const auto& im : it.injections) out.emplace_back(&it, im);
      continue;
    }
    InjectionMetrics im;
    im.impact = it.impact;
    im.ttd = it.ttd;
    im.ttd_bracket = it.ttd_bracket;
    im.recovered = it.recovered;
    im.recovery_time = it.recovery_time;
    im.recovery_bracket = it.recovery_bracket;
    out.emplace_back(&it, im);
  }
  return out;
}

std::string bracket_note(Nanos point, const std::optional<Bracket>& b, Nanos resolution) {
  if (!b || (b->earliest >= point - resolution && b->latest <= point + resolution)) return "";
  return fmt::format("between {} and {}", format_ms(b->earliest), format_ms(b->latest));
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
  for (const auto& [it, im] : all_injections(iterations)) {
    if (im.impact && im.ttd) ttd.push_back(*im.ttd);
    if (im.recovery_time) recovery.push_back(*im.recovery_time);
  }
  for (const auto& it : iterations) {
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

}  // namespace faultline
