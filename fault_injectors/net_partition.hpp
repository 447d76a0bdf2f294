// The partition kind's LinkFault, for tests (its parameters,
// PartitionParams, are in scenario/net_params.hpp, which topology.hpp and
// src/os use too).
#pragma once

#include <memory>

#include "fault_injectors/proxy/proxy_stage.hpp"
#include "scenario/net_params.hpp"

namespace faultline {

/// What a partition does to one link: the cut directions are held (drop) or
/// every connection is reset (reject).
std::shared_ptr<proxy::LinkFault> partition_fault(PartitionMode mode, bool upstream, bool downstream);

}  // namespace faultline
