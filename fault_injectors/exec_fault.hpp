// The exec kind's parameters (what its file reads from a [[fault]] table).
#pragma once

#include <optional>

#include "scenario/scenario.hpp"

namespace faultline {

/// User commands that apply and revert a fault.
struct ExecParams {
  Command apply;
  std::optional<Command> revert;
  Nanos timeout = 30s;  ///< for each of apply and revert
  std::string host;     ///< a declared [[host]] both commands run on; "" = this machine
};

}  // namespace faultline
