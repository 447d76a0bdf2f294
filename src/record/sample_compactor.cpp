// The folding rules of sample_compactor.hpp. compact_one walks a probe's
// samples not yet decided, keeping them in place (a move-compaction of the
// vector) or adding them to the fold after the last kept one; a sample is
// decided once the sample after it started before the frontier.
#include "record/sample_compactor.hpp"

#include <algorithm>
#include <limits>

namespace faultline {

SampleCompactor::SampleCompactor(std::vector<Nanos> timeouts, std::size_t keep_full)
    : timeouts_(std::move(timeouts)), keep_full_(keep_full), done_(timeouts_.size(), 0),
      folding_(timeouts_.size(), false) {}

void SampleCompactor::cut(Nanos t) { cuts_.insert(t); }

bool SampleCompactor::slow(const Sample& x, std::size_t probe) const {
  if (x.harness_decided) return true;
  const Nanos timeout = probe < timeouts_.size() ? timeouts_[probe] : Nanos{0};
  return timeout.count() > 0 && x.latency() >= timeout;
}

void SampleCompactor::arrived(const std::vector<ProbeSeries>& series, std::size_t probe) {
  const auto& v = series[probe].samples;
  if (v.empty()) return;
  const Sample& x = v.back();
  const Sample* before = v.size() > 1 ? &v[v.size() - 2] : nullptr;
  if (!before || before->ok != x.ok || before->detail != x.detail) {
    cuts_.insert(x.start);
    // An answer that hung shows health only at its end (where a recovery is then placed).
    if (x.latency() > series[probe].interval) cuts_.insert(x.end);
  }
}

bool SampleCompactor::continues(const Sample& a, Nanos a_start, const Sample& b, std::size_t probe) const {
  if (a.ok != b.ok || a.detail != b.detail || slow(a, probe) || slow(b, probe)) return false;
  // A cut c with a_start < c <= b.start separates them.
  const auto it = cuts_.upper_bound(a_start);
  return it == cuts_.end() || *it > b.start;
}

void SampleCompactor::compact(std::vector<ProbeSeries>& series) {
  Nanos frontier = Nanos::max();
  for (const auto& s : series) {
    if (s.samples.empty()) return;  // a probe with no sample yet: its first may start anywhere
    frontier = std::min(frontier, s.samples.back().start);
  }
  for (std::size_t k = 0; k < series.size() && k < done_.size(); ++k) {
    if (!folding_[k] && series[k].samples.size() + folded_count(series[k]) <= keep_full_) continue;
    folding_[k] = true;
    compact_one(series[k], k, frontier);
  }
}

void SampleCompactor::compact_one(ProbeSeries& s, std::size_t probe, Nanos frontier) {
  auto& v = s.samples;
  std::size_t w = done_[probe], r = done_[probe];
  for (; r + 1 < v.size() && v[r + 1].start < frontier; ++r) {
    Sample& x = v[r];
    bool fold = false;
    SampleFold* open = nullptr;
    if (w > 0) {
      const Sample& kept = v[w - 1];
      if (!s.folds.empty() && s.folds.back().after == w - 1) open = &s.folds.back();
      const Nanos previous_start = open ? open->last_start : kept.start;
      fold = continues(kept, previous_start, x, probe) && continues(x, x.start, v[r + 1], probe);
    }
    if (!fold) {
      if (w != r) v[w] = std::move(x);
      ++w;
      continue;
    }
    const Nanos previous_start = open ? open->last_start : v[w - 1].start;
    if (!open) {
      SampleFold f;
      f.after = w - 1;
      f.first_start = x.start;
      f.first_end = x.end;
      f.latency_min = f.latency_max = x.latency();
      s.folds.push_back(std::move(f));
      open = &s.folds.back();
    }
    open->count += 1;
    open->last_start = x.start;
    open->last_end = x.end;
    open->skipped += skipped_between(previous_start, x.start, s.interval);
    open->latency_min = std::min(open->latency_min, x.latency());
    open->latency_max = std::max(open->latency_max, x.latency());
    open->latency.add(x.latency());
  }
  // The samples not yet decided move down behind the kept ones.
  const std::size_t decided = w;
  if (w != r) {
    for (; r < v.size(); ++r, ++w) v[w] = std::move(v[r]);
    v.resize(w);
  }
  done_[probe] = decided;
}

}  // namespace faultline
