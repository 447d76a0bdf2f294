// `faultline run`: one scenario, end to end, producing a typed run record.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "measure/regression.hpp"
#include "record/record.hpp"
#include "run/run_observer.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// What the command line may override or add to a scenario.
struct RunOptions {
  std::optional<int> iterations;        ///< --iterations
  std::optional<std::uint64_t> seed;    ///< --seed
  std::filesystem::path out_dir;        ///< --out: the run directory; empty = runs/NAME-RUNID
  ConsoleMode console = ConsoleMode::plain;  ///< how progress is shown (--quiet, a terminal)
  bool color = false;                   ///< colour in progress lines and the live view
  const Baseline* baseline = nullptr;   ///< --baseline: adds the regression verdicts
  /// Writes the concluded record into the run directory (the command line
  /// writes RUN_DIR/run.json); called once every fault is reverted and
  /// before the ledger is resolved and the watchdog released. Unset: the
  /// record is only returned.
  std::function<void(const RunRecord& rec, const std::filesystem::path& run_dir)> write_record;
};

/// Runs a validated scenario (placeholders unresolved) and returns what it
/// observed and concluded; `record.exit_code` is the process exit code. The
/// record is also handed to `opts.write_record`. Every fault is reverted and
/// every process of the clone stopped before this returns, on every path,
/// SIGINT/SIGTERM/SIGHUP included (they end the run as "interrupted").
/// `scenario_text` is hashed into the record's digest.
RunRecord run_scenario(const Scenario& scenario, const std::string& scenario_text, const RunOptions& opts);

/// "sha1:<hex>" of a scenario's text: the record's scenario digest.
std::string scenario_digest(const std::string& scenario_text);

/// Whether a run in this process was interrupted by a signal (later
/// scenarios of the same command are then not started).
bool interrupted_by_signal();

}  // namespace faultline
