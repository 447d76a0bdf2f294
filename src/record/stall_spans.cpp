// Stall spans (stall_spans.hpp). Coarsening picks a gap threshold: the k-th
// smallest gap between consecutive spans of one source, k being the number
// of merges needed, and merges every such pair at or under it in one pass
// (ties may merge a few more). A list at the budget is halved, so a run
// coarsens O(log n) times in all and each added stall costs O(1) amortised.
#include "record/stall_spans.hpp"

#include <algorithm>
#include <utility>

namespace faultline {

namespace {

/// Index of the last span in `out` whose source is `probe`, by a backward
/// search over the few sources a list interleaves.
struct LastOf {
  std::vector<std::pair<std::string, std::size_t>> at;
  std::size_t* find(const std::string& probe) {
    for (auto& [name, i] : at)
      if (name == probe) return &i;
    return nullptr;
  }
};

}  // namespace

void merge_stall_into(HarnessStall& earlier, const HarnessStall& later) {
  // The stalled time added is the part of `later` after what `earlier`
  // already covers (stalls of one source are seen in order).
  const Nanos covered_until = earlier.end;
  Nanos added = later.stalled_time();
  if (later.start < covered_until) added = std::max(Nanos(0), later.end - covered_until);
  const Nanos stalled = earlier.stalled_time() + std::min(added, later.stalled_time());
  const Nanos longest = std::max(earlier.longest_stall(), later.longest_stall());
  earlier.start = std::min(earlier.start, later.start);
  earlier.end = std::max(earlier.end, later.end);
  earlier.count += later.count;
  earlier.stalled = stalled;
  earlier.longest = longest;
}

void add_stall(std::vector<HarnessStall>& stalls, HarnessStall s, Nanos gap, std::size_t budget) {
  bool merged = false;
  for (auto it = stalls.rbegin(); it != stalls.rend(); ++it) {
    if (it->probe != s.probe) continue;
    if (s.start <= it->end + gap) {
      merge_stall_into(*it, s);
      merged = true;
    }
    break;
  }
  if (!merged) stalls.push_back(std::move(s));
  if (stalls.size() > budget) coarsen_stalls(stalls, budget / 2);
}

void coarsen_stalls(std::vector<HarnessStall>& stalls, std::size_t target) {
  if (stalls.size() <= target) return;
  // gaps[i]: from the end of span i to the start of its source's next span.
  std::vector<Nanos> gaps;
  {
    LastOf last;
    for (std::size_t i = 0; i < stalls.size(); ++i) {
      if (auto* prev = last.find(stalls[i].probe)) {
        gaps.push_back(stalls[i].start - stalls[*prev].end);
        *prev = i;
      } else {
        last.at.emplace_back(stalls[i].probe, i);
      }
    }
  }
  const std::size_t merges = std::min(gaps.size(), stalls.size() - target);
  if (merges == 0) return;
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(merges - 1), gaps.end());
  const Nanos threshold = gaps[merges - 1];
  // One pass: each span joins its source's last kept span when the gap
  // between them is at or under the threshold.
  std::vector<HarnessStall> out;
  out.reserve(target + 1);
  LastOf last;
  for (auto& s : stalls) {
    if (auto* prev = last.find(s.probe); prev && s.start - out[*prev].end <= threshold) {
      merge_stall_into(out[*prev], s);
      continue;
    }
    if (auto* prev = last.find(s.probe)) *prev = out.size();
    else last.at.emplace_back(s.probe, out.size());
    out.push_back(std::move(s));
  }
  stalls = std::move(out);
}

}  // namespace faultline
