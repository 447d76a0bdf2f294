// The kill kind's parameters (what its file reads from a [[fault]] table).
#pragma once

#include <csignal>

namespace faultline {

/// Send a signal to the target service.
struct KillParams {
  int signal = SIGKILL;
  bool group = true;  ///< the whole process group, not only the leader
};

}  // namespace faultline
