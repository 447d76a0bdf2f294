// The run history on the command line (issue 18; docs/history.md):
//
// - `faultline run` gains `--history LOCATION`, `--no-history` and
//   `--label NAME`; once a run has concluded (passed, failed, inconclusive,
//   harness error or interrupted: every path on which `run_scenario`
//   returns a record) its row is written to the store, once. A store that
//   cannot be opened or written is a warning and leaves the exit code alone.
// - `--baseline history[:N]` gates a run against the last N (default 5)
//   passing runs of its scenario in the store (measure/series_gate.hpp).
// - `faultline history [SCENARIO]` lists the runs (`--last`, `--since`,
//   `--label`, `--format console|markdown|json|html`, `--output`), judges
//   the series with `--check` (exit 1 when it finds a regression, a
//   recurrence or a flaky scenario) and `faultline history import RUN_DIR...`
//   fills the store from earlier run records.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "history/history_store.hpp"
#include "measure/regression.hpp"
#include "record/record.hpp"

namespace faultline {

/// `run`'s history options.
struct HistoryRunFlags {
  std::string location;  ///< --history
  bool none = false;     ///< --no-history
  std::string label;     ///< --label
};

/// Adds --history, --no-history and --label to `run`.
void add_history_run_options(CLI::App& run, HistoryRunFlags& f);

/// Writes the row of a concluded run whose record is at `record` ("" when
/// it was not written); prints where, or a warning. Never throws.
void save_to_history(const HistoryRunFlags& f, const RunRecord& rec, const std::filesystem::path& record);

/// Whether a --baseline value asks for the history ("history" or "history:N").
bool is_history_baseline(const std::string& value);

/// The series of `scenario` for the gate: the last `n` passing runs in `store`, oldest first.
std::vector<SeriesPoint> history_series(HistoryStore& store, const std::string& scenario, std::size_t n);

/// For each scenario in `names` whose `by_scenario` entry is empty, a baseline
/// from the history when a --baseline asks for one; `out` holds them (its
/// size is reserved: the pointers stay valid). Warns when the series ran
/// another text than `digests` (the scenarios' own, parallel to `names`).
/// Prints why and returns false on a usage error (exit 2).
bool history_baselines(const HistoryRunFlags& f, const std::vector<std::string>& baselines, double tolerance,
                       const std::vector<std::string>& names, const std::vector<std::string>& digests,
                       std::vector<Baseline>& out,
                       std::vector<const Baseline*>& by_scenario);

/// Adds `faultline history` (and `history import`) to `app`.
CLI::App* add_history_command(CLI::App& app);

/// Runs `faultline history` as parsed; its exit code.
int run_history_command();

}  // namespace faultline
