// The blackhole kind's parameters and its LinkFault, for tests.
#pragma once

#include <memory>
#include <optional>

#include "fault_injectors/proxy/proxy_stage.hpp"
#include "scenario/net_params.hpp"

namespace faultline {

/// Data is read and discarded, nothing is answered.
struct BlackholeParams {
  NetDirection direction = NetDirection::both;
  std::optional<Nanos> close_after;  ///< close each connection this long after the fault reached it
  double toxicity = 1.0;
};

/// What the blackhole does to a link's connections: data is discarded;
/// closes and resets are held; optionally the connection is closed after
/// `close_after`.
std::shared_ptr<proxy::LinkFault> blackhole_fault(const BlackholeParams& p);

}  // namespace faultline
