// Reading folded samples back (sample_fold.hpp): their count, the ticks
// skipped between them, and the record's runs of equal outcome built from
// the kept samples and the folds between them.
#include "record/sample_fold.hpp"

#include <algorithm>

#include "record/record.hpp"

namespace faultline {

std::uint64_t skipped_between(Nanos a, Nanos b, Nanos interval) {
  if (interval.count() <= 0) return 0;
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, (b - a + interval / 2) / interval - 1));
}

std::size_t first_fold_from(const std::vector<SampleFold>& folds, std::size_t i) {
  return static_cast<std::size_t>(
      std::partition_point(folds.begin(), folds.end(), [i](const SampleFold& f) { return f.after < i; }) -
      folds.begin());
}

std::uint64_t folded_count(const ProbeSeries& p) {
  std::uint64_t n = 0;
  for (const auto& f : p.folds) n += f.count;
  return n;
}

std::vector<SampleRun> compress_series(const ProbeSeries& p) {
  std::vector<SampleRun> out;
  LatencyTally tally;  // of the run being closed, for its p50
  auto close = [&] {
    if (!out.empty()) out.back().latency_p50 = tally.percentile(50);
    tally = LatencyTally();
  };
  std::size_t f = 0;
  for (std::size_t i = 0; i < p.samples.size(); ++i) {
    const Sample& s = p.samples[i];
    const SampleTimes t{s.start, s.end};
    if (!out.empty() && out.back().ok == s.ok && out.back().detail == s.detail &&
        out.back().harness_decided == s.harness_decided) {
      SampleRun& r = out.back();
      ++r.count;
      r.last = t;
      r.latency_min = std::min(r.latency_min, s.latency());
      r.latency_max = std::max(r.latency_max, s.latency());
    } else {
      close();
      out.push_back(SampleRun{s.ok, s.detail, 1, t, t, s.latency(), Nanos{0}, s.latency(), s.harness_decided});
    }
    tally.add(s.latency());
    // The folds after it have its outcome: they join its run.
    for (; f < p.folds.size() && p.folds[f].after == i; ++f) {
      const SampleFold& x = p.folds[f];
      SampleRun& r = out.back();
      r.count += x.count;
      r.last = SampleTimes{x.last_start, x.last_end};
      r.latency_min = std::min(r.latency_min, x.latency_min);
      r.latency_max = std::max(r.latency_max, x.latency_max);
      tally.add(x.latency, x.latency_min, x.latency_max);
    }
  }
  close();
  return out;
}

}  // namespace faultline
