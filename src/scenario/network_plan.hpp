// The plan of a run's network in network = "namespaces" mode, decided from
// the scenario alone before anything is created (os/netns.hpp builds it):
// every host (a service, or the services that declare the same `host`) gets
// a network namespace of its own with one address, joined by a veth pair to
// the run's hub namespace. Pure: validation checks the subnet and the number
// of hosts with it, and nothing here starts a process.
//
// Names derive from the run id's last six hex digits (the "tag"): the hub is
// `fl-TAG`, a host `fl-TAG-HOST`, the veth ends `flTAGhN` (hub side) and
// `flTAGnN` (host side, N the host's index): at most 15 characters
// (IFNAMSIZ - 1).
//
// Addresses: the hub has the subnet's first host address, the hosts the next
// ones in declaration order.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "scenario/scenario.hpp"

namespace faultline {

/// The network could not be built, read or torn down; what() says what.
struct NetworkError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// An IPv4 range such as 10.77.0.0/24.
struct Subnet {
  std::uint32_t network = 0;  ///< host byte order, host bits zero
  int prefix = 24;
  /// How many addresses it has for hosts (without network and broadcast).
  std::uint64_t usable() const;
  /// The n-th usable address (1 = the first), dotted.
  std::string address(std::uint32_t n) const;
  std::string text() const;  ///< "10.77.0.0/24"
};

/// Parses "A.B.C.D/N" (N from 8 to 30, host bits zero). nullopt with `why` set otherwise.
std::optional<Subnet> parse_subnet(const std::string& text, std::string* why = nullptr);

/// One network namespace of the run with the services in it.
struct NetHost {
  std::string name;                   ///< the `host` of its services, or the single service's name
  std::vector<std::string> services;  ///< declaration order
  std::string netns;                  ///< fl-TAG-NAME
  std::string address;                ///< its one IPv4 address
  std::string hub_if;                 ///< the veth end in the hub: flTAGhN
  std::string host_if;                ///< the veth end in the host: flTAGnN
};

/// The whole network of a run, decided before anything is created.
struct NetworkPlan {
  std::string tag;          ///< six hex digits from the run id
  std::string hub;          ///< the hub namespace: fl-TAG
  std::string hub_address;  ///< the subnet's first address
  Subnet subnet;
  std::vector<NetHost> hosts;  ///< in order of their first service
  std::vector<std::string> services;  ///< every service, in declaration order

  /// The host a service runs in, or nullptr.
  const NetHost* host_of(const std::string& service) const;
};

/// The tag of a run id ("20261122-120102-3fa2c1" -> "3fa2c1"): its last six
/// characters, which are hex digits for ids the runner makes.
std::string run_tag(const std::string& run_id);
/// The name of the hub namespace of a tag; every namespace of the run is
/// this name or starts with it and '-'.
std::string hub_netns(const std::string& tag);

/// The hosts of a scenario (services grouped by `host`), in order of their first service.
std::vector<std::pair<std::string, std::vector<std::string>>> scenario_hosts(const Scenario& s);

/// Plans the network of scenario `s` for run `run_id`. Throws NetworkError
/// when the subnet is invalid or too small.
NetworkPlan plan_network(const Scenario& s, const std::string& run_id);

}  // namespace faultline
