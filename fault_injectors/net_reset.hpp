// The reset kind's parameters and its LinkFault, for tests.
#pragma once

#include <cstdint>
#include <memory>

#include "fault_injectors/proxy/proxy_stage.hpp"
#include "scenario/net_params.hpp"

namespace faultline {

/// Connections are reset (TCP RST to both peers).
struct ResetParams {
  Nanos after = 0ns;  ///< reset each connection this long after the fault reached it
  double toxicity = 1.0;
};

/// What the reset does to a link's connections: each is reset `after` the fault reaches it.
std::shared_ptr<proxy::LinkFault> reset_fault(const ResetParams& p);

}  // namespace faultline
