// Availability over time, as docs/measurement.md ("Availability") defines it.
//
// Each probe's time in [from, until] is reconstructed from its samples as
// they really ran: each sample shows a state over a span (known_of), the
// state holds between two samples that agree, and where two neighbours
// disagree the transition is placed at the middle of the time between them
// (the middle of the transition's bracket), except before an ok answer that
// hung after a failure: the outage lasts to that answer's end (recovery is
// never placed before the latest moment the system was certainly still
// down, as for episodes). Against ground truth (tests/integration/
// test_measurement_truth.cpp): placing each transition at the later
// sample's start (the health definition's point) detects an outage up to
// an interval late while a held answer ends it exactly, which put a holding
// server about half an interval per outage too available; counting a hung
// answer after a failure as unknown took up to a timeout of outage per
// episode out of the denominator. An ok answer that hung after an ok one
// was slow: up. Time before the probe's first sample is unknown, and so is
// every sample the harness decided (to the next sample's start) and every
// moment inside a harness stall of the probe or of the whole harness.
// "combined" sweeps the steady-state probes' pieces together: failing while
// any is failing, else unknown while any is unknown, else healthy.
//
// The time between two samples that disagree, the span of the later one
// (it proves its state at some moment of it), the time before a hung ok
// answer after a failure, the time from a sample up to a span the harness
// decided, and the time after the window's last sample are counted as above
// but marked uncertain: the state there is not proven. Their totals
// (up_uncertain, down_uncertain) give the bracket the reports show beside
// the figure: all of it failing, or all of it healthy. A combined failing
// moment is uncertain when every failing probe's is; a healthy one when any
// probe's is.
//
// The ticks beside it are counted from the samples too (ticks_in): the
// window's samples, the ticks skipped in the gaps between them, and those
// before the first and after the last.
#include "measure/availability.hpp"

#include <algorithm>
#include <optional>

namespace faultline {

namespace {

enum class State : unsigned char { up, down, unknown };

struct Piece {
  Nanos start{0};
  Nanos end{0};
  State state = State::unknown;
  bool uncertain = false;  ///< the samples do not prove this state here (see the file's comment)
};

/// Appends [start, end) clipped to [from, until) when not empty.
void emit(std::vector<Piece>& out, Nanos start, Nanos end, State state, Nanos from, Nanos until,
          bool uncertain = false) {
  start = std::max(start, from);
  end = std::min(end, until);
  if (start < end) out.push_back({start, end, state, uncertain});
}

/// What one sample shows, as a span of known state: a failing sample shows
/// the system down over its whole span (no good answer came from its start
/// to its end); a prompt ok sample shows it up over its span; an ok sample
/// that hung (took longer than one interval) shows it up only at its end
/// (`late`); a sample the harness decided shows nothing from its start to
/// the next sample's start.
struct Known {
  Nanos a{0}, b{0};
  State state = State::unknown;
  bool late = false;
};

Known known_of(const ProbeSeries& s, std::size_t i, Nanos until) {
  const Sample& x = s.samples[i];
  if (x.harness_decided) return {x.start, i + 1 < s.samples.size() ? s.samples[i + 1].start : until, State::unknown};
  if (!x.ok) return {x.start, x.end, State::down};
  if (x.latency() > s.interval) return {x.end, x.end, State::up, true};
  return {x.start, x.end, State::up};
}

/// One more sample's span `k` after `prev` (see pieces_of).
void step(std::vector<Piece>& out, std::optional<Known>& prev, Known k, Nanos from, Nanos until) {
  bool flipped = false;  // k disagrees with a known state before it
  if (!prev) {
    emit(out, from, k.a, State::unknown, from, until);
  } else {
    const Nanos gap = std::min(prev->b, k.a);
    if (prev->state == State::unknown || prev->state == k.state) {
      emit(out, gap, k.a, prev->state, from, until);
    } else if (k.state == State::unknown) {
      // Up to a span the harness decided: unobserved, and nothing after it
      // says the state held.
      emit(out, gap, k.a, prev->state, from, until, true);
    } else if (k.late) {
      // A hung ok answer after a failure: down to its end, though the
      // system may have come back anywhere since the failure.
      emit(out, gap, k.a, prev->state, from, until, true);
    } else {
      const Nanos mid = gap + (k.a - gap) / 2;
      emit(out, gap, mid, prev->state, from, until, true);
      emit(out, mid, k.a, k.state, from, until, true);
      flipped = true;
    }
    k.a = std::max(k.a, prev->b);
    k.b = std::max(k.b, k.a);
  }
  // The first sample of a new state proves it at some moment of its span,
  // not over all of it (a request held through an outage and answered at
  // its end in under an interval; a connection reset mid-exchange).
  emit(out, k.a, k.b, k.state, from, until, flipped);
  prev = k;
}

/// The probe's pieces covering [from, until) with no gap, before stalls.
/// Between two samples that show the same state, that state; between two
/// that differ, the transition at the middle of the time neither covered
/// (the change is equally likely anywhere in that bracket); but before an
/// ok answer that hung after a failure, the outage lasts until that answer's
/// end (where the episodes place the recovery). Next to a span the harness
/// decided, the known state holds up to it.
std::vector<Piece> pieces_of(const ProbeSeries& s, Nanos from, Nanos until) {
  std::vector<Piece> out;
  const auto& v = s.samples;
  auto i = static_cast<std::size_t>(
      std::partition_point(v.begin(), v.end(), [from](const Sample& x) { return x.start < from; }) - v.begin());
  i -= std::min<std::size_t>(i, 2);  // the samples before `from` decide its state
  std::optional<Known> prev;
  std::size_t f = first_fold_from(s.folds, i);
  for (; i < v.size() && v[i].start < until; ++i) {
    step(out, prev, known_of(s, i, until), from, until);
    // Folded samples (none late, none decided) show the kept one's state
    // over their whole span, as one after another would.
    for (; f < s.folds.size() && s.folds[f].after == i; ++f)
      if (s.folds[f].first_start < until)
        step(out, prev, {s.folds[f].first_start, s.folds[f].last_end, v[i].ok ? State::up : State::down}, from, until);
  }
  // After the last sample nothing says the state held: uncertain.
  if (!prev) emit(out, from, until, State::unknown, from, until);
  else emit(out, prev->b, until, prev->state, from, until, true);
  return out;
}

/// Ticks of a probe with this interval that fell due in [from, until]: the
/// samples that started there, the ticks skipped between them (a gap of n
/// intervals between two starts held n - 1 ticks that were not taken), and
/// those before the first and after the last sample. A pure function of the
/// samples, so that a window's count does not depend on the run around it.
std::uint64_t ticks_in(const ProbeSeries& s, Nanos from, Nanos until) {
  const Nanos iv = s.interval;
  if (iv.count() <= 0 || until <= from) return 0;
  std::uint64_t n = 0;
  std::optional<Nanos> first, last;
  std::size_t f = 0;
  for (std::size_t i = 0; i < s.samples.size(); ++i) {
    const Sample& x = s.samples[i];
    if (x.start > until) break;
    if (x.start >= from) {
      if (last) n += skipped_between(*last, x.start, iv);
      if (!first) first = x.start;
      last = x.start;
      ++n;
    }
    // A fold's count and skipped ticks (from the kept sample before it) were
    // counted as it was folded; no fold straddles `from` or `until` (cuts).
    for (; f < s.folds.size() && s.folds[f].after <= i; ++f)
      if (s.folds[f].after == i && x.start >= from && s.folds[f].last_start <= until) {
        n += s.folds[f].count + s.folds[f].skipped;
        last = s.folds[f].last_start;
      }
  }
  if (!first) return static_cast<std::uint64_t>((until - from) / iv);
  n += static_cast<std::uint64_t>((*first - from) / iv);
  n += static_cast<std::uint64_t>(std::max<std::int64_t>(0, (until - *last + iv - Nanos(1)) / iv - 1));
  return n;
}

/// The stalls that concern the probe named `probe` ("" = the whole harness's
/// only), sorted and merged.
std::vector<Piece> stalls_for(const std::vector<HarnessStall>& stalls, const std::string& probe) {
  std::vector<Piece> v;
  for (const auto& x : stalls)
    if ((x.probe.empty() || x.probe == probe) && x.start < x.end) v.push_back({x.start, x.end, State::unknown});
  std::sort(v.begin(), v.end(), [](const Piece& a, const Piece& b) { return a.start < b.start; });
  std::vector<Piece> merged;
  for (const auto& p : v)
    if (!merged.empty() && p.start <= merged.back().end)
      merged.back().end = std::max(merged.back().end, p.end);
    else
      merged.push_back(p);
  return merged;
}

/// `pieces` with every moment inside `stalls` (sorted, disjoint) made unknown.
std::vector<Piece> overlay(const std::vector<Piece>& pieces, const std::vector<Piece>& stalls) {
  if (stalls.empty()) return pieces;
  std::vector<Piece> out;
  std::size_t j = 0;
  for (const auto& p : pieces) {
    Nanos t = p.start;
    while (j < stalls.size() && stalls[j].end <= t) ++j;
    for (std::size_t k = j; k < stalls.size() && stalls[k].start < p.end && t < p.end; ++k) {
      if (stalls[k].start > t) out.push_back({t, stalls[k].start, p.state, p.uncertain});
      const Nanos e = std::min(stalls[k].end, p.end);
      if (std::max(stalls[k].start, t) < e) out.push_back({std::max(stalls[k].start, t), e, State::unknown});
      t = std::max(t, e);
    }
    if (t < p.end) out.push_back({t, p.end, p.state, p.uncertain});
  }
  return out;
}

void add_time(Availability& a, const Piece& p) {
  const Nanos d = p.end - p.start;
  (p.state == State::up ? a.up : p.state == State::down ? a.down : a.unknown) += d;
  if (p.uncertain && p.state == State::up) a.up_uncertain += d;
  if (p.uncertain && p.state == State::down) a.down_uncertain += d;
}

/// The steady-state probes' pieces swept together (each covers [from, until) with no gap).
void combine(Availability& out, const std::vector<std::vector<Piece>>& all, Nanos from, Nanos until) {
  std::vector<std::size_t> at(all.size(), 0);
  Nanos t = from;
  while (t < until) {
    Nanos next = until;
    bool down = false, unknown = false, certain_down = false, uncertain_up = false;
    for (std::size_t k = 0; k < all.size(); ++k) {
      while (at[k] < all[k].size() && all[k][at[k]].end <= t) ++at[k];
      if (at[k] >= all[k].size()) {
        unknown = true;
        continue;
      }
      const Piece& p = all[k][at[k]];
      next = std::min(next, p.end);
      down |= p.state == State::down;
      certain_down |= p.state == State::down && !p.uncertain;
      uncertain_up |= p.state == State::up && p.uncertain;
      unknown |= p.state == State::unknown;
    }
    // Failing, and uncertain when every failing probe's piece is; healthy,
    // and uncertain when any probe's piece is.
    if (down) add_time(out, {t, next, State::down, !certain_down});
    else add_time(out, {t, next, unknown ? State::unknown : State::up, uncertain_up});
    t = next;
  }
}

}  // namespace

std::vector<Availability> availability_over(const std::vector<ProbeSeries>& probes, Nanos from, Nanos until,
                                            const std::vector<HarnessStall>& stalls) {
  std::vector<Availability> out;
  Availability combined{"combined"};
  std::vector<std::vector<Piece>> steady;
  for (const auto& s : probes) {
    Availability a{s.name};
    for (const auto& x : s.samples) {
      if (x.start < from || x.start > until || x.harness_decided) continue;
      ++a.total;
      a.ok += x.ok ? 1 : 0;
    }
    for (const auto& x : s.folds) {  // never decided; none straddles `from` or `until` (cuts)
      if (x.first_start < from || x.last_start > until) continue;
      a.total += x.count;
      a.ok += s.samples[x.after].ok ? x.count : 0;
    }
    a.ticks = ticks_in(s, from, until);
    auto pieces = overlay(pieces_of(s, from, until), stalls_for(stalls, s.name));
    for (const auto& p : pieces) add_time(a, p);
    if (s.steady_state) {
      combined.ok += a.ok;
      combined.total += a.total;
      combined.ticks += a.ticks;
      steady.push_back(std::move(pieces));
    }
    out.push_back(std::move(a));
  }
  if (!steady.empty()) combine(combined, steady, from, until);
  out.push_back(std::move(combined));
  return out;
}

void add_availability(std::vector<Availability>& into, const std::vector<Availability>& from) {
  for (const auto& a : from) {
    auto it = std::find_if(into.begin(), into.end(), [&](const Availability& x) { return x.probe == a.probe; });
    if (it == into.end()) {
      const auto combined =
          std::find_if(into.begin(), into.end(), [](const Availability& x) { return x.probe == "combined"; });
      it = into.insert(a.probe == "combined" ? into.end() : combined, Availability{a.probe});
    }
    it->ok += a.ok;
    it->total += a.total;
    it->ticks += a.ticks;
    it->up += a.up;
    it->down += a.down;
    it->unknown += a.unknown;
    it->up_uncertain += a.up_uncertain;
    it->down_uncertain += a.down_uncertain;
  }
}

}  // namespace faultline
