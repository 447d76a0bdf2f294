// Reverting a run from its ledger after the harness itself died: the code
// behind `faultline cleanup` and the watchdog. It needs nothing of the dead
// run but its ledger, uses no event loop, and is idempotent: each fault is
// marked reverted in the ledger as soon as it is, so an interrupted cleanup
// can simply be run again.
#pragma once

#include <string>
#include <vector>

#include "os/ledger.hpp"

namespace faultline {

/// What a cleanup did and what it could not do.
struct CleanupReport {
  std::vector<std::string> done;    ///< one line per action taken
  std::vector<std::string> failed;  ///< one line per fault or process left behind
  bool ok() const { return failed.empty(); }
};

/// Reverts every fault the ledger says may still be applied (newest first),
/// stops every process of the run that is still the one it started (here,
/// and on its [[host]]s over a fresh ssh, removing the run's directory
/// there), then marks the ledger finished. The caller makes sure the harness is dead.
CleanupReport cleanup_run(Ledger& ledger);

}  // namespace faultline
