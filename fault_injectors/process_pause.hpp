// The pause kind's parameters (what its file reads from a [[fault]] table).
#pragma once

namespace faultline {

/// SIGSTOP for `duration`, then SIGCONT.
struct PauseParams {
  bool group = true;  ///< the whole process group, not only the leader
};

}  // namespace faultline
