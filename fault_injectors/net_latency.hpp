// The delay kind's test-facing half: its LinkFault (its parameters,
// LatencyParams, are in scenario/net_params.hpp, which src/os uses too).
#pragma once

#include <memory>

#include "fault_injectors/proxy/proxy_stage.hpp"
#include "scenario/net_params.hpp"

namespace faultline {

/// What the delay does to a link's connections: each item leaves `latency`
/// (+/- jitter) after it arrived, in order.
std::shared_ptr<proxy::LinkFault> latency_fault(const LatencyParams& p);

}  // namespace faultline
