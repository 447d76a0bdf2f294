// The parameter types that the network fault kinds share with the layers
// below fault_injectors/. Every other kind declares its parameters in its own
// file (fault_injectors/<kind>.hpp); these few live here because code that
// may not include fault_injectors/ works with them too: topology.hpp computes
// what a partition cuts (for validation, `plan` and the injectors), and
// src/os builds the kernel's rules from them (nft tables for a partition,
// netem for a delay). NetDirection is the vocabulary of every kind that acts
// on one direction of a connection.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scenario/duration.hpp"

namespace faultline {

/// Which bytes of a link's connections a network fault acts on: upstream =
/// client to server (towards the link's `to`), downstream = server to client.
enum class NetDirection { upstream, downstream, both };

/// How a delay is drawn around its mean.
enum class LatencyDistribution { uniform, normal };

/// The delay kind's parameters: every chunk is delivered `latency` (+/- jitter) after it arrived.
struct LatencyParams {
  Nanos latency = 0ns;
  Nanos jitter = 0ns;  ///< uniform: latency +/- jitter; normal: standard deviation
  LatencyDistribution distribution = LatencyDistribution::uniform;
  NetDirection direction = NetDirection::both;
  double toxicity = 1.0;  ///< probability that a connection is affected, 0..1
};

/// A named way of dividing every service of the scenario.
enum class PartitionShape { halves, ring };
/// What a cut link does to traffic.
enum class PartitionMode { drop, reject };
/// The partition kind's parameters: every link between services of different
/// groups is cut. Exactly one of `groups`, `isolate` and `shape` says how
/// (checked by the kind, fault_injectors/net_partition.cpp).
struct PartitionParams {
  std::vector<std::vector<std::string>> groups;  ///< explicit groups of service names
  std::string isolate;                           ///< this service against every other one
  std::optional<PartitionShape> shape;           ///< halves or ring over every service
  PartitionMode mode = PartitionMode::drop;
  bool one_way = false;  ///< only traffic from the first group to the others is cut
};

}  // namespace faultline
