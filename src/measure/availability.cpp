// Availability over time, as docs/measurement.md ("Availability") defines it.
//
// Each probe's time in [from, until] is cut into pieces, one per sample: a
// sample's outcome holds from its start to the next sample's start (the
// health definition: the latest sample started at or before t), so each
// outage begins and ends where the episodes place their transitions, inside
// the transition's bracket. An ok sample that hung (took longer than
// its interval) proves health only from its end: after a failing sample the
// outage lasts until then (where the episodes place the recovery: counting
// that time as unknown instead took outage time out of the denominator, up
// to a timeout per episode, and put a holding server's availability points
// too high against ground truth); after an ok sample it was slow, and the
// system up (counting that as unknown took healthy time out under load). A sample the harness decided makes its
// piece unknown. Time before the probe's first sample is unknown, and so is
// every moment inside a harness stall of the probe or of the whole harness.
// "combined" sweeps the steady-state probes' pieces together: failing while
// any is failing, else unknown while any is unknown, else healthy.
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
};

/// Appends [start, end) clipped to [from, until) when not empty.
void emit(std::vector<Piece>& out, Nanos start, Nanos end, State state, Nanos from, Nanos until) {
  start = std::max(start, from);
  end = std::min(end, until);
  if (start < end) out.push_back({start, end, state});
}

/// The probe's pieces covering [from, until) with no gap, before stalls.
/// A sample's outcome holds from its start to the next sample's start (the
/// health definition, so the outages are exactly the episodes' spans), with
/// two exceptions for an ok sample that hung (took longer than one
/// interval) shows health only from its end: until then the state the
/// evidence before it left holds (after a failing sample the outage lasts
/// until that end, where the episodes place the recovery; after an ok one
/// it was slow, and the system up, as the health definition has it). A
/// sample the harness decided shows nothing until the next sample's start.
std::vector<Piece> pieces_of(const ProbeSeries& s, Nanos from, Nanos until) {
  std::vector<Piece> out;
  const auto& v = s.samples;
  auto i = static_cast<std::size_t>(
      std::partition_point(v.begin(), v.end(), [from](const Sample& x) { return x.start < from; }) - v.begin());
  if (i > 0) --i;  // the sample before `from` covers its start
  // The state the evidence before sample i left (for a hung answer at `from`).
  State last = State::unknown;
  for (std::size_t j = i; j > 0; --j)
    if (!v[j - 1].harness_decided) {
      last = v[j - 1].ok ? State::up : State::down;
      break;
    }
  Nanos covered = from;
  for (; i < v.size() && v[i].start < until; ++i) {
    const Sample& x = v[i];
    const Nanos next = i + 1 < v.size() ? std::min(v[i + 1].start, until) : until;
    if (x.start > covered) emit(out, covered, x.start, State::unknown, from, until);
    if (x.harness_decided) {
      emit(out, x.start, next, State::unknown, from, until);
      covered = std::max(covered, next);
      continue;  // not evidence: `last` stays
    }
    if (!x.ok) {
      emit(out, x.start, next, State::down, from, until);
      last = State::down;
    } else {
      const Nanos proven = x.latency() > s.interval ? std::min(x.end, next) : x.start;
      // Until a hung answer's end, the state the evidence before it left:
      // down after a failure, up after an ok answer (slow, not down).
      emit(out, x.start, proven, last, from, until);
      emit(out, proven, next, State::up, from, until);
      last = State::up;
    }
    covered = std::max(covered, next);
  }
  if (covered < until) emit(out, covered, until, State::unknown, from, until);
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
  for (const auto& x : s.samples) {
    if (x.start < from) continue;
    if (x.start > until) break;
    if (last) n += static_cast<std::uint64_t>(std::max<std::int64_t>(0, (x.start - *last + iv / 2) / iv - 1));
    if (!first) first = x.start;
    last = x.start;
    ++n;
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
      if (stalls[k].start > t) out.push_back({t, stalls[k].start, p.state});
      const Nanos e = std::min(stalls[k].end, p.end);
      if (std::max(stalls[k].start, t) < e) out.push_back({std::max(stalls[k].start, t), e, State::unknown});
      t = std::max(t, e);
    }
    if (t < p.end) out.push_back({t, p.end, p.state});
  }
  return out;
}

void add_time(Availability& a, const Piece& p) {
  const Nanos d = p.end - p.start;
  (p.state == State::up ? a.up : p.state == State::down ? a.down : a.unknown) += d;
}

/// The steady-state probes' pieces swept together (each covers [from, until) with no gap).
void combine(Availability& out, const std::vector<std::vector<Piece>>& all, Nanos from, Nanos until) {
  std::vector<std::size_t> at(all.size(), 0);
  Nanos t = from;
  while (t < until) {
    Nanos next = until;
    bool down = false, unknown = false;
    for (std::size_t k = 0; k < all.size(); ++k) {
      while (at[k] < all[k].size() && all[k][at[k]].end <= t) ++at[k];
      if (at[k] >= all[k].size()) {
        unknown = true;
        continue;
      }
      const Piece& p = all[k][at[k]];
      next = std::min(next, p.end);
      down |= p.state == State::down;
      unknown |= p.state == State::unknown;
    }
    add_time(out, {t, next, down ? State::down : unknown ? State::unknown : State::up});
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
  }
}

}  // namespace faultline
