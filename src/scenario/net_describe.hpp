// One sentence per network fault, from its parameters alone: what `plan`
// prints and what the injectors' describe() start with, so that both say the
// same thing in the same words.
#pragma once

#include <string>

#include "scenario/scenario.hpp"

namespace faultline {

/// "the upstream", "the downstream" or "both directions".
std::string direction_text(NetDirection d);

/// What a net.* fault does, e.g. "delay 100ms +/- 10ms (uniform), both
/// directions, on link 'db'", "partition [primary] | [replica], drop, both
/// directions". "" for a fault that is not a net.* kind.
std::string describe_net_fault(const FaultSpec& f);

}  // namespace faultline
