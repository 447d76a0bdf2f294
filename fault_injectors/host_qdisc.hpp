// net.latency and net.bandwidth across [[host]]s: the kinds' third version,
// after proxied links and network = "namespaces" (how it works atop
// host_qdisc.cpp). The kinds' own files hand over to it
// (with_host_version) when their target names a service that runs on a
// [[host]]. The pure pieces (which host shapes traffic to whom, the handles,
// the scripts) are public for the unit tests and for `plan`.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fault_injectors/injector.hpp"
#include "os/remote_shell.hpp"
#include "scenario/fault_kind.hpp"
#include "scenario/net_params.hpp"

namespace faultline {

/// The qdisc a kind hangs under the run's class on a host: its kind ("netem",
/// "tbf": what `tc qdisc show` lists) and its parameters as `tc` takes them
/// after the kind (from the kind's own argv builder: qdisc_params).
struct QdiscLeaf {
  std::string kind;
  std::vector<std::string> params;  ///< e.g. {"delay", "100000us"}
};

/// The part of a `tc qdisc add ... root KIND PARAMS...` argv from KIND on
/// (netem_argv, tbf_argv build the namespaces version; this reuses them).
QdiscLeaf qdisc_leaf(const std::vector<std::string>& root_argv);

/// What one host shapes: the traffic it sends to the addresses `to`.
struct HostShape {
  std::string address;          ///< the host's own address
  std::vector<std::string> to;  ///< destinations shaped (other hosts, never the controller)
};

/// Who shapes what when the target service runs on host `target` and its
/// peers are the other hosts of `addresses` (host name -> address):
/// downstream (what the service sends) on `target` toward every peer,
/// upstream (what reaches the service) on every peer toward `target`.
std::map<std::string, HostShape> host_shapes(const std::string& target, NetDirection direction,
                                             const std::map<std::string, std::string>& addresses);

/// The two tc handles (16-bit majors) of one application: the root htb
/// and the leaf under its class 1. Derived from the run id and the
/// application's number, so a revert (and `faultline cleanup` of a crashed
/// run) touches only the qdisc it made.
struct QdiscHandles {
  unsigned root = 0;
  unsigned leaf = 0;
};
QdiscHandles qdisc_handles(const std::string& run_id, std::size_t application);

/// The script that, on its host, finds the device toward each address of
/// `to` (`ip route get`), makes on each such device a root htb (handle
/// `h.root`, unclassified traffic passes untouched) with one class holding
/// `leaf` (handle `h.leaf`) and a u32 filter per destination address, then
/// reads `tc qdisc show` back. Exit 0 when every device lists both; on any
/// failure it removes what it made and exits 3.
std::string host_qdisc_apply_script(const QdiscHandles& h, const std::vector<std::string>& to, const QdiscLeaf& leaf,
                                    bool sudo);

/// The script that deletes the root qdisc of every device whose root is the
/// run's htb (handle `h.root`) and reads `tc qdisc show` back: exit 0 when
/// none is left (also when none ever was), 3 otherwise. Idempotent; the
/// guardian, the run, the watchdog and `cleanup` run it.
std::string host_qdisc_revert_script(const QdiscHandles& h, bool sudo);

/// The script that prints `tc qdisc show` on its host.
std::string host_qdisc_list_script(bool sudo);

/// Whether `tc qdisc show` output lists the run's root htb `h.root` on any device.
bool lists_run_qdisc(const std::string& tc_show, const QdiscHandles& h);

/// Whether fault `f` of `s` acts across hosts: its target is a service that
/// runs on a [[host]].
bool qdisc_on_hosts(const Scenario& s, const FaultSpec& f);

/// The validation of a delay or a limit across hosts (nothing when the
/// fault is not on hosts): 'toxicity' 1, a peer on another host, every host
/// involved named by an IP address.
void check_host_qdisc(FaultCheck& c, NetDirection direction, double toxicity);

/// The injector of a fault whose target may run on a [[host]]: at prepare,
/// the host version (a run-owned qdisc `leaf` on each host involved) when
/// the target is on a host, else `local` (the link version). describe()
/// says `description`.
std::unique_ptr<Injector> with_host_version(const FaultSpec& spec, std::unique_ptr<Injector> local,
                                            NetDirection direction, QdiscLeaf leaf, std::string description);

/// What fault `f` of `s` does in one line: describe_fault, said as it is
/// across hosts (a target service, a rate per host) when qdisc_on_hosts.
std::string host_fault_text(const Scenario& s, const FaultSpec& f);

/// What `plan` lists of every delay or limit across hosts: its steps on each host.
std::vector<std::string> host_qdisc_plan(const Scenario& s);

/// Checks, before any fault, that every host a delay or limit acts on has
/// `tc` (and, for a delay, sch_netem) as `faultline doctor` finds them (one
/// round trip per host). Returns "" when it has, else one line per host:
/// "host 'NAME' (FILE:LINE:COL): WHAT: ...".
asio::awaitable<std::string> missing_qdisc_tools(asio::any_io_executor ex, const Scenario& s,
                                                 std::function<const RemoteShell*(const std::string&)> shell);

}  // namespace faultline
