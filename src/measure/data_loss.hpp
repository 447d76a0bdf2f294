// Data loss, from what a [[workload]] observed: its writes (which were
// acknowledged, and when) against the read that followed recovery. An
// acknowledged write missing from the read is lost; the writes issued during
// the fault give its error count and latency. Pure functions: the workload
// (run/workload.hpp) records the writes and the read, the conclusion of a run
// (measure/verdicts.hpp) accounts them and judges `max_data_loss`.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "record/record.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// One write of a workload.
struct WriteOutcome {
  std::uint64_t seq = 0;
  Nanos start{0};
  Nanos end{0};  ///< when it was acknowledged or failed
  bool acknowledged = false;
};

/// What a read said: the sequence numbers present, or why it failed.
struct ReadOutcome {
  bool ok = false;
  std::string error;
  std::set<std::uint64_t> present;
};

/// Accounts one iteration's writes against its read: lost = acknowledged and
/// not present. The fault window [fault_from, fault_to) selects the writes
/// (by start) whose errors and latency are reported "during the fault".
WorkloadResult account_writes(const std::string& workload, int iteration, const std::vector<WriteOutcome>& writes,
                              const ReadOutcome& read, Nanos fault_from, Nanos fault_to);

/// The `max_data_loss` verdict (a count, or the loss window), judged in every
/// iteration of every workload: failing when any lost more, when a read
/// failed, or when an iteration had no acknowledged write to prove anything
/// with. None without the threshold.
std::vector<Verdict> data_loss_verdicts(const Thresholds& t, const std::vector<WorkloadResult>& results);

}  // namespace faultline
