// The slow-close kind's parameters and its LinkFault, for tests.
#pragma once

#include <cstdint>
#include <memory>

#include "fault_injectors/proxy/proxy_stage.hpp"
#include "scenario/net_params.hpp"

namespace faultline {

/// A peer's close (FIN) reaches the other peer `delay` late.
struct SlowCloseParams {
  Nanos delay = 0ns;
  NetDirection direction = NetDirection::both;
  double toxicity = 1.0;
};

/// What the slow close does to a link's connections: a close leaves `delay` after it arrived; data is untouched.
std::shared_ptr<proxy::LinkFault> slow_close_fault(const SlowCloseParams& p);

}  // namespace faultline
