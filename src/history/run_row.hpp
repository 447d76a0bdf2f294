// One run as the history store keeps it (issue 18; docs/history.md): its
// identity (scenario name and the digest of its text, run id, seed, start
// time, host, faultline version, label), its outcome and exit code, each
// verdict with its measured value and limit, each iteration's TTD / TTR /
// recovery time / relapses / data lost, MTTR with p50/p95, availability and
// where its record is. A row is built from a RunRecord by a pure function
// (`row_from_record`), written once per run by whatever store holds the
// history (history_store.hpp), and read back by `faultline history`, its
// checks and the gate `--baseline history[:N]`, which never need the samples.
//
// Durations are nanoseconds; a figure that is "unbounded" (something did not
// recover by its deadline) is nullopt with the deadline kept beside it, so
// that no row ever shows a number where the run saw none.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "record/record.hpp"

namespace faultline {

/// One verdict of a run, as stored.
struct VerdictRow {
  std::string threshold;  ///< "rto", "mttr", "verify", "regression.mttr", ...
  std::string scope;      ///< "run", "iteration 2", ...
  bool passed = false;
  std::string measured, limit;
  /// Neither passed nor failed (a lower bound within its limit; `passed` is
  /// false): the series judges it as neither (schema version 4; false in
  /// rows written before).
  bool inconclusive = false;
  bool operator==(const VerdictRow&) const = default;
};

/// One measured iteration of a run, as stored.
struct IterationRow {
  int index = 0;  ///< 1-based
  std::optional<Nanos> ttd;            ///< none: no impact
  std::optional<Nanos> ttr;            ///< of its first episode; none: no impact or not recovered
  std::optional<Nanos> recovery_time;  ///< none: not recovered by the deadline
  int relapses = 0;
  std::uint64_t lost = 0;  ///< acknowledged writes lost in it
  /// The probe resolution: +/- one probe interval on each time (0: not kept,
  /// a row written before schema version 3).
  Nanos uncertainty{0};
  std::optional<Bracket> recovery_bracket;  ///< where the recovery time certainly lies, when the record has it
  bool operator==(const IterationRow&) const = default;
};

/// One run in the history.
struct RunRow {
  std::int64_t id = 0;  ///< the store's own number (0 until stored)
  std::string run_id, scenario, scenario_digest, label, host, faultline_version;
  std::string started_at;  ///< ISO 8601 UTC, as in the record
  std::uint64_t seed = 0;
  std::string outcome;  ///< outcome_name(): "passed", "failed", "interrupted", ...
  int exit_code = 0;
  Nanos duration{0};
  Nanos give_up_after{0};  ///< the deadline an unbounded figure is beyond
  int iterations = 0;      ///< measured iterations
  int unrecovered = 0;     ///< of them, not recovered by the deadline
  std::optional<Nanos> recovery_max;  ///< worst recovery time; none: unbounded or nothing measured
  std::optional<Nanos> recovery_p95;  ///< nearest rank, unrecovered ranked last; none likewise
  std::optional<Nanos> mttr;          ///< mean TTR; none: an episode did not recover, or nothing measured
  Nanos ttr_p50{0}, ttr_p95{0};       ///< over the episodes that recovered
  int episodes = 0;
  int relapses = 0;
  std::uint64_t data_lost = 0;
  std::optional<double> availability;  ///< combined, 0..1; none: nothing observed
  std::string record_path;             ///< the run.json, "" when none was written
  std::vector<VerdictRow> verdicts;
  std::vector<IterationRow> iteration_rows;
  bool operator==(const RunRow&) const = default;
};

/// The row of a concluded run, labelled `label`, whose record was written to
/// `record_path` ("" when it was not).
RunRow row_from_record(const RunRecord& rec, const std::string& label, const std::string& record_path);

/// "412.118 ms", or "> 5000.000 ms" (beyond the row's deadline) for an
/// unbounded figure of a run that measured something, "-" when it measured nothing.
std::string row_figure(const RunRow& row, const std::optional<Nanos>& figure);

}  // namespace faultline
