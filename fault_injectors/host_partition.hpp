// net.partition across [[host]]s (the kind's third version, after proxied
// links and network = "namespaces"; how it works atop host_partition.cpp).
// net_partition.cpp chooses it: at validation (check_host_partition) and at
// prepare, when the scenario declares hosts and a service the partition
// separates runs on one. The pure pieces (which host drops what, the nft
// batch and the scripts) are public for the unit tests and for `plan`.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fault_injectors/injector.hpp"
#include "os/remote_shell.hpp"
#include "scenario/fault_kind.hpp"
#include "scenario/net_params.hpp"

namespace faultline {

/// What one host of a partition drops: traffic it sends to `to` and traffic
/// it receives from `from` (the other hosts' addresses, never the controller's).
struct HostCut {
  std::string address;            ///< the host's own address
  std::vector<std::string> to;    ///< output: destinations cut
  std::vector<std::string> from;  ///< input: sources cut
};

/// Where one service runs, as the partition needs it.
struct ServiceHost {
  std::string host;     ///< the [[host]]'s name; "" = this machine
  std::string address;  ///< its address (an IP address, checked at validation)
};

/// The cut of every host involved, by host name, from the (sender, receiver)
/// service pairs of partition_cut_pairs: a pair cuts the sender's output to
/// the receiver's host and the receiver's input from the sender's host.
/// Pairs with a service on no host, or both on one host, are skipped (the
/// validation refuses them).
std::map<std::string, HostCut> host_cuts(const std::set<std::pair<std::string, std::string>>& pairs,
                                         const std::map<std::string, ServiceHost>& where);

/// The nft batch (applied atomically by one `nft` command) that creates
/// table `inet TABLE` with an input and an output chain dropping (drop) or
/// rejecting (reject: TCP reset, other protocols ICMP admin-prohibited) `cut`.
std::string host_partition_ruleset(const std::string& table, const HostCut& cut, PartitionMode mode);

/// The script that creates the table on its host and reads `nft list
/// tables` back (one round trip); privileged through `sudo -n` when `sudo`
/// and the user is not root. Exit 0 when the table is listed.
std::string host_apply_script(const std::string& table, const std::string& ruleset, bool sudo);

/// The script that deletes table `inet TABLE` when it exists and reads the
/// list back: exit 0 when it is gone (also when it never was), 3 otherwise.
/// Idempotent; the guardian, the run, the watchdog and `cleanup` run it.
std::string host_revert_script(const std::string& table, bool sudo);

/// The script that prints `nft list tables` on its host.
std::string host_list_script(bool sudo);

/// Whether `address` is an IPv4 or IPv6 address (not a name).
bool is_ip_address(const std::string& address);

/// Whether partition `p` of scenario `s` acts on hosts: `s` declares
/// [[host]]s and a service it separates runs on one.
bool partition_on_hosts(const Scenario& s, const PartitionParams& p);

/// The validation of a partition across hosts: every separated service on a
/// host, no two separated services sharing one, every host involved named
/// by an IP address.
void check_host_partition(FaultCheck& c, const PartitionParams& p);

/// The partition's injector on hosts (chosen by net_partition.cpp at prepare).
std::unique_ptr<Injector> make_host_partition(const FaultSpec& spec);

/// What `plan` lists of every partition across hosts: its steps on each host.
std::vector<std::string> host_partition_plan(const Scenario& s);

/// The hosts every partition across hosts of `s` acts on, with the faults
/// that need them (name -> fault names), in name order.
std::map<std::string, std::vector<std::string>> partition_hosts(const Scenario& s);

/// Checks, before any fault, that `nft` is on every host a partition acts
/// on (one round trip per host, `shell(name)` giving the host's shell).
/// Returns "" when it is, else one line per host without it: "host 'NAME'
/// (FILE:LINE:COL): nft not found: ...".
asio::awaitable<std::string> missing_partition_tools(asio::any_io_executor ex, const Scenario& s,
                                                     std::function<const RemoteShell*(const std::string&)> shell);

}  // namespace faultline
