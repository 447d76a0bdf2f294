// The bandwidth kind's parameters and its LinkFault, for tests.
#pragma once

#include <memory>

#include "fault_injectors/proxy/proxy_stage.hpp"
#include "scenario/net_params.hpp"

namespace faultline {

/// Each direction of each connection is paced to `rate`.
struct BandwidthParams {
  double rate = 0;  ///< bytes per second, > 0
  NetDirection direction = NetDirection::both;
  double toxicity = 1.0;
};

/// What the limit does to a link's connections: data leaves at `rate` bytes per second.
std::shared_ptr<proxy::LinkFault> bandwidth_fault(const BandwidthParams& p);

}  // namespace faultline
