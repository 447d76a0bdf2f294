// The network of a run in network = "namespaces" mode: every host (a
// service, or the services that declare the same `host`) in a network
// namespace of its own with one address, joined by a veth pair to the run's
// hub namespace, which routes between them. Nothing is created in the
// namespace faultline runs in: the hub, the hosts, the veths, the routes and
// the nft tables of net.partition exist only inside namespaces the run owns,
// so no address of the run is reachable from the host or routed off it, and
// two runs with the same subnet never meet.
//
// The names and addresses are planned by scenario/network_plan.hpp, from the
// run id's last six hex digits (the "tag"). Teardown deletes every namespace
// named `fl-TAG` or `fl-TAG-*`; deleting a namespace deletes its veth end, its
// routes and its nft tables, so the ledger needs only the tag to find what a
// killed run left.
//
// Each host has a /32 on its veth, a route to the
// hub, and a route to the subnet via the hub; the hub has a /32 route per
// host and forwards (net.ipv4.ip_forward = 1 inside the hub only). Traffic
// between hosts therefore crosses the hub's forward hook, where partitions
// are nft rules; traffic between the hub and a host does not, so probes run
// from the hub are never cut by a partition.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "scenario/duration.hpp"
#include "scenario/network_plan.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// The commands that build the network, in order (each an argv of `ip` or `sh`).
std::vector<std::vector<std::string>> bring_up_commands(const NetworkPlan& plan);

/// Builds the network. Refuses (NetworkError) when a namespace of the tag
/// already exists, touching nothing; on failure it deletes the namespaces
/// it created (and only those) and throws NetworkError naming the command
/// and its error.
void bring_up(const NetworkPlan& plan);

/// The namespaces (from `ip netns list`) that belong to the run of `tag`.
std::vector<std::string> run_namespaces(const std::string& tag);

/// Deletes every namespace of the run of `tag` (and with them its veths,
/// routes and nft tables), then reads `ip netns list` back. Returns the
/// names deleted; throws NetworkError naming any that is left.
std::vector<std::string> tear_down(const std::string& tag);

/// `argv` run inside namespace `netns` (`ip netns exec NETNS ...`, which
/// enters the namespace and execs, so the pid is the command's); `argv`
/// itself when `netns` is empty.
std::vector<std::string> in_netns(const std::string& netns, std::vector<std::string> argv);

/// A socket (socket(2) arguments) created inside namespace `netns`: this
/// thread enters it, creates the socket, and returns to its own namespace.
/// Throws std::system_error.
int socket_in_netns(const std::string& netns, int domain, int type);

/// The result of a command run to completion by `run_command_sync`.
struct SyncResult {
  int code = -1;       ///< exit code; -1 when it could not start, timed out or was killed
  std::string output;  ///< stdout and stderr together
  bool ok() const { return code == 0; }
  /// The first line of the output, or "exit N".
  std::string why() const;
};

/// Runs a command without an event loop (bring-up, teardown, cleanup,
/// capability checks): output captured, killed after `timeout`.
SyncResult run_command_sync(const std::vector<std::string>& argv, Nanos timeout = std::chrono::seconds(10));

// ---------------------------------------------------------------- what faults apply

/// A pair of addresses whose traffic (from -> to) a partition cuts.
struct AddressCut {
  std::string from;
  std::string to;
};

/// The address pairs a partition cuts in `plan`: the service pairs of
/// partition_cut_pairs (topology.hpp) as host addresses, without pairs of
/// services that share a host (nothing between them crosses the hub) and
/// without duplicates, in a stable order.
std::vector<AddressCut> partition_address_cuts(const PartitionParams& p, const NetworkPlan& plan);

/// The nft table name of one application of a partition: faultline_TAG_N.
std::string partition_table(const std::string& tag, std::size_t application);

/// The nft commands (one batch, applied atomically) that create table
/// `inet TABLE` with a forward chain cutting each pair: `drop`, or for
/// `reject` a TCP reset (other protocols: ICMP admin-prohibited).
std::string partition_ruleset(const std::string& table, const std::vector<AddressCut>& cuts, PartitionMode mode);

/// Whether `nft list tables` output lists `inet TABLE`.
bool lists_table(const std::string& nft_list_tables, const std::string& table);

/// `tc` argv adding a token bucket (tbf) limiting `dev` in `netns` to
/// `bytes_per_second`, as its root qdisc.
std::vector<std::string> tbf_argv(const std::string& netns, const std::string& dev, double bytes_per_second);
/// `tc` argv adding netem delay (latency +/- jitter, distribution) as root qdisc.
std::vector<std::string> netem_argv(const std::string& netns, const std::string& dev, const LatencyParams& p);
/// `tc` argv deleting the root qdisc of `dev`.
std::vector<std::string> qdisc_delete_argv(const std::string& netns, const std::string& dev);
/// `tc` argv showing the qdiscs of `dev`.
std::vector<std::string> qdisc_show_argv(const std::string& netns, const std::string& dev);
/// Whether `tc qdisc show` output has a root qdisc of `kind` ("tbf", "netem").
bool shows_qdisc(const std::string& tc_show, const std::string& kind);

/// Synchronous undo, for cleanup after the harness died: deletes table
/// `inet TABLE` in `netns` and reads it back. True when it is gone (also
/// when the namespace is gone). Never touches another table.
bool remove_nft_table(const std::string& netns, const std::string& table, std::string& why);
/// Deletes the root qdisc of `dev` in `netns` and reads it back; true when
/// no tbf or netem is left (also when the namespace or device is gone).
bool remove_root_qdisc(const std::string& netns, const std::string& dev, std::string& why);

/// Whether namespace `netns` exists (/run/netns/NAME, as `ip netns list`
/// reads it); true when that cannot be told (the file cannot be looked at).
bool netns_exists(const std::string& netns);

}  // namespace faultline
