#include "measure/data_loss.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace faultline {

namespace {

/// Nearest-rank percentile of sorted values; 0 when empty.
Nanos nearest_rank(const std::vector<Nanos>& sorted, double pct) {
  if (sorted.empty()) return Nanos{0};
  std::size_t rank = static_cast<std::size_t>(std::ceil(pct / 100.0 * double(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

}  // namespace

WorkloadResult account_writes(const std::string& workload, int iteration, const std::vector<WriteOutcome>& writes,
                              const ReadOutcome& read, Nanos fault_from, Nanos fault_to) {
  WorkloadResult r;
  r.workload = workload;
  r.iteration = iteration;
  r.read_ok = read.ok;
  r.read_error = read.error;
  r.fault_from = fault_from;
  r.fault_to = fault_to;
  std::vector<Nanos> fault_latency;
  for (const auto& w : writes) {
    if (r.writes == 0) r.first_seq = w.seq;
    r.last_seq = w.seq;
    ++r.writes;
    if (w.acknowledged) ++r.acknowledged;
    const bool during = w.start >= fault_from && w.start < fault_to;
    if (during) {
      ++r.fault_writes;
      if (!w.acknowledged) ++r.fault_errors;
      else fault_latency.push_back(w.end - w.start);
    }
    if (read.ok && w.acknowledged && !read.present.count(w.seq)) {
      ++r.lost;
      if (r.lost_seqs.size() < 100) r.lost_seqs.push_back(w.seq);
      if (!r.lost_from || w.start < *r.lost_from) r.lost_from = w.start;
      if (!r.lost_to || w.end > *r.lost_to) r.lost_to = w.end;
    }
  }
  r.errors = r.writes - r.acknowledged;
  if (r.lost_from) r.loss_window = *r.lost_to - *r.lost_from;
  std::sort(fault_latency.begin(), fault_latency.end());
  r.fault_latency_p50 = nearest_rank(fault_latency, 50);
  r.fault_latency_p99 = nearest_rank(fault_latency, 99);
  return r;
}

std::vector<Verdict> data_loss_verdicts(const Thresholds& t, const std::vector<WorkloadResult>& results) {
  if (!t.max_data_loss && !t.max_data_loss_window) return {};
  Verdict v;
  v.threshold = "max_data_loss";
  v.scope = "run";
  const bool by_count = t.max_data_loss.has_value();
  v.limit = by_count ? fmt::format("{} writes", *t.max_data_loss) : format_ms(*t.max_data_loss_window);
  const WorkloadResult* worst = nullptr;
  for (const auto& r : results) {
    if (!r.read_ok) {
      v.passed = false;
      v.measured = "unknown";
      v.detail = fmt::format("workload '{}', iteration {}: the read failed: {}", r.workload, r.iteration, r.read_error);
      return {v};
    }
    if (r.acknowledged == 0) {
      v.passed = false;
      v.measured = "unknown";
      v.detail = fmt::format("workload '{}', iteration {}: no write was acknowledged ({} issued), so nothing was proven",
                             r.workload, r.iteration, r.writes);
      return {v};
    }
    const bool worse = by_count ? (!worst || r.lost > worst->lost) : (!worst || r.loss_window > worst->loss_window);
    if (worse) worst = &r;
  }
  if (!worst) {
    v.passed = false;
    v.measured = "unknown";
    v.detail = "no workload result (no iteration reached its read)";
    return {v};
  }
  if (by_count) {
    const auto limit = static_cast<std::int64_t>(*t.max_data_loss);
    const auto lost = static_cast<std::int64_t>(worst->lost);
    v.passed = lost <= limit;
    v.measured = fmt::format("{} writes", lost);
    v.margin = fmt::format("{:+d} writes", limit - lost);
  } else {
    v.passed = worst->loss_window <= *t.max_data_loss_window;
    v.measured = format_ms(worst->loss_window);
    const std::string m = format_ms(*t.max_data_loss_window - worst->loss_window);
    v.margin = m.front() == '-' ? m : "+" + m;
  }
  v.detail = fmt::format("worst: workload '{}', iteration {}: {} of {} acknowledged writes lost", worst->workload,
                         worst->iteration, worst->lost, worst->acknowledged);
  if (worst->lost > 0) v.detail += fmt::format(", spanning {}", format_ms(worst->loss_window));
  return {v};
}

}  // namespace faultline
