// What the kernel versions of the bandwidth and delay kinds share (network =
// "namespaces"): a root qdisc on the veth ends of the target service's host,
// made by the kind's `tc` argv (net_bandwidth.cpp: tbf; net_latency.cpp:
// netem), which hand it to make_qdisc_injector. The target is
// treated as the server, as for a link: "upstream" (client to server) is the
// traffic into the service, which leaves the hub through the hub's veth end
// (flTAGhN); "downstream" (server to client) is the traffic the service
// sends, which leaves its host through the host's end (flTAGnN). A qdisc
// shapes what leaves a device, so each direction is one device.
//
// inject adds the qdisc on each device of the direction and reads
// `tc qdisc show` back; revert deletes the root qdisc of every device it was
// added to and reads back that no tbf or netem is left (a namespace or
// device that is gone took its qdisc with it). The crash ledger holds the
// (namespace, device) pairs, so `faultline cleanup` undoes the same.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fault_injectors/injector.hpp"

namespace faultline {

/// Builds the `tc` argv that adds the qdisc to device `dev` in namespace `netns`.
using QdiscArgv = std::function<std::vector<std::string>(const std::string& netns, const std::string& dev)>;

/// An injector that makes a root qdisc of kind `qdisc_kind` ("tbf", "netem":
/// what `tc qdisc show` must list) with `add_argv` on the target's veth end
/// of each direction `direction` selects; describe() says `description`
/// (with "on service" for "on link") and the devices.
std::unique_ptr<Injector> make_qdisc_injector(const FaultSpec& spec, NetDirection direction, std::string qdisc_kind,
                                              QdiscArgv add_argv, std::string description);

}  // namespace faultline
