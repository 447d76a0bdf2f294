// What each net.* kind does to a link's connections, as a proxy::LinkFault
// made from the kind's parameters. Each is defined in the kind's own file
// (net_latency.cpp, ...), which explains how it works and how it is undone;
// the injectors apply them to links, the unit tests to links of their own.
#pragma once

#include <memory>

#include "fault_injectors/proxy/proxy_stage.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// net.latency: each item leaves `latency` (+/- jitter) after it arrived, in order.
std::shared_ptr<proxy::LinkFault> latency_fault(const LatencyParams& p);
/// net.bandwidth: data leaves at `rate` bytes per second.
std::shared_ptr<proxy::LinkFault> bandwidth_fault(const BandwidthParams& p);
/// net.blackhole: data is discarded; closes and resets are held; optionally
/// the connection is closed after `close_after`.
std::shared_ptr<proxy::LinkFault> blackhole_fault(const BlackholeParams& p);
/// net.reset: every connection is reset `after` the fault reaches it.
std::shared_ptr<proxy::LinkFault> reset_fault(const ResetParams& p);
/// net.slow_close: a close leaves `delay` after it arrived; data is untouched.
std::shared_ptr<proxy::LinkFault> slow_close_fault(const SlowCloseParams& p);
/// net.slicer: data leaves in slices of size +/- size_variation bytes, `delay` apart.
std::shared_ptr<proxy::LinkFault> slicer_fault(const SlicerParams& p);
/// net.partition on one link: the cut directions are held (drop) or every
/// connection is reset (reject).
std::shared_ptr<proxy::LinkFault> partition_fault(PartitionMode mode, bool upstream, bool downstream);

}  // namespace faultline
