// Where a run's history goes and under which label (issue 18; docs/history.md).
//
// The store: `--no-history` (or FAULTLINE_HISTORY=off) writes none;
// `--history LOCATION` chooses one, then $FAULTLINE_HISTORY; by default the
// SQLite file history.sqlite in faultline's state directory (the XDG state
// directory: $FAULTLINE_STATE_DIR, else $XDG_STATE_HOME/faultline, else
// ~/.local/state/faultline), whose directory is created when missing. A
// location given explicitly is used as it is: its directory is not created,
// so a mistyped path warns instead of scattering stores.
//
// The label (a release, a version, a commit): `--label`, then
// $FAULTLINE_LABEL, then the CI's commit variable when one is set
// ($GITHUB_SHA, $CI_COMMIT_SHA, $GIT_COMMIT, $BUILD_SOURCEVERSION), else "".
#pragma once

#include <functional>
#include <string>

#include "history/history_location.hpp"

namespace faultline {

/// Reads an environment variable ("" when unset); tests pass their own.
using EnvLookup = std::function<std::string(const char*)>;

/// The process environment.
std::string process_env(const char* name);

/// Where the history of a run goes.
struct HistoryTarget {
  std::string location;      ///< a file or a postgresql:// string; "" = no history
  bool is_default = false;   ///< the state directory's file (its directory may be created)
};

/// The store chosen by the flags (`flag` "" when --history was not given) and the environment.
HistoryTarget history_target(const std::string& flag, bool no_history, const EnvLookup& env = process_env);

/// The label of the run.
std::string history_label(const std::string& flag, const EnvLookup& env = process_env);

}  // namespace faultline
