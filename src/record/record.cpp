// The run record's small helpers: exit codes, outcome names, and the
// compression of samples into runs of equal outcome.
#include "record/record.hpp"

#include <algorithm>

namespace faultline {

std::vector<SampleRun> compress_samples(const std::vector<Sample>& samples) {
  std::vector<SampleRun> out;
  std::vector<Nanos> latencies;  // of the run being closed, for its p50
  auto close = [&] {
    if (out.empty()) return;
    SampleRun& r = out.back();
    // Nearest rank, as everywhere in faultline: the ceil(n / 2)-th smallest.
    const auto mid = latencies.begin() + static_cast<std::ptrdiff_t>((latencies.size() + 1) / 2 - 1);
    std::nth_element(latencies.begin(), mid, latencies.end());
    r.latency_p50 = *mid;
    latencies.clear();
  };
  for (const auto& s : samples) {
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
    latencies.push_back(s.latency());
  }
  close();
  return out;
}

std::vector<SampleRun> runs_of(const ProbeSeries& p) {
  if (!p.runs.empty()) return p.runs;
  return p.folds.empty() ? compress_samples(p.samples) : compress_series(p);
}

std::uint64_t sample_count(const ProbeSeries& p) {
  if (p.runs.empty()) return p.samples.size() + folded_count(p);
  std::uint64_t n = 0;
  for (const auto& r : p.runs) n += r.count;
  return n;
}

bool keeps_every_sample(const ProbeSeries& p) {
  return p.runs.empty() && p.folds.empty() && p.samples.size() <= kMaxFullSamples;
}

int exit_code_for(Outcome o, bool sigterm) {
  switch (o) {
    case Outcome::passed: return 0;
    case Outcome::failed: return 1;
    case Outcome::usage_error: return 2;
    case Outcome::inconclusive: return 3;
    case Outcome::harness_error: return 4;
    case Outcome::interrupted: return sigterm ? 143 : 130;
  }
  return 4;
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::passed: return "passed";
    case Outcome::failed: return "failed";
    case Outcome::usage_error: return "usage_error";
    case Outcome::inconclusive: return "inconclusive";
    case Outcome::harness_error: return "harness_error";
    case Outcome::interrupted: return "interrupted";
  }
  return "unknown";
}

}  // namespace faultline
