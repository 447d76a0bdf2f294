// Harness stalls kept bounded (docs/measurement.md, "Harness stalls"). A
// harness starved of CPU is late on many ticks: at a load average of 19 on
// two cores, ten 1 ms probes saw about 540 stalls a second, each one kept
// as an event, so the record's stall list grew by 1.6 MB a minute and was
// what made a long run's memory grow. A stall is never dropped: each one
// joins the previous span of its source (its probe, or the whole harness)
// when it overlaps it or begins less than `gap` (that source's interval)
// after it; and when a list holds more than `budget` spans, the spans of
// one source that lie closest together are merged until half the budget
// is left. A span keeps its bounds, the number of stalls in it, the time
// they covered in all and the longest one, so the record still says how
// much time the harness was starved and where; what it loses is only the
// running moments between the stalls of a span, which measurement then
// counts as stalled too (unknown for availability; a timeout inside a span
// is one the harness may have decided): never a figure tighter than seen.
#pragma once

#include <cstddef>
#include <vector>

#include "record/record.hpp"

namespace faultline {

/// The number of spans a stall list keeps at most (per list: the whole
/// harness's watch, each scheduler thread).
inline constexpr std::size_t kStallSpanBudget = 2048;

/// Adds `s` to `stalls` (in the order they were seen): merged into the last
/// span of the same source when they overlap or are less than `gap` apart;
/// then, past `budget` spans, the list is coarsened (coarsen_stalls).
void add_stall(std::vector<HarnessStall>& stalls, HarnessStall s, Nanos gap,
               std::size_t budget = kStallSpanBudget);

/// Merges, source by source, the spans that lie closest together (the
/// smallest gaps between consecutive spans of one source first) until at
/// most `target` spans are left or every source has one.
void coarsen_stalls(std::vector<HarnessStall>& stalls, std::size_t target);

/// `later` merged into `earlier` (same source, `later` starting no sooner).
void merge_stall_into(HarnessStall& earlier, const HarnessStall& later);

}  // namespace faultline
