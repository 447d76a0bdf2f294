// Who talks to whom through the scenario's links, and what a partition cuts.
// Pure functions of the scenario: validate.cpp uses them to refuse a
// partition that would cut nothing, the net.partition injector to know which
// links to cut, `plan` to show it.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "scenario/scenario.hpp"

namespace faultline {

/// The two ends of one link as services.
struct LinkEnds {
  std::string link;                  ///< the link's name
  std::string server;                ///< the service behind `to`; "" = unknown
  std::vector<std::string> clients;  ///< the services connecting through it (`from`)
};

/// The service a link forwards to: its `service` key, else the service that
/// declares the {port.NAME} that `to` uses, else "".
std::string link_server(const Scenario& s, const LinkSpec& link);

/// The ends of every link of `s`, in declaration order.
std::vector<LinkEnds> link_ends(const Scenario& s);

/// The names of the services of `s`, in declaration order.
std::vector<std::string> service_names(const Scenario& s);

/// The (sender, receiver) pairs of services whose traffic a partition cuts,
/// with its shape expanded over `services` (declaration order):
///  - groups: senders and receivers in different groups (with one_way, only
///    a sender in the first group and a receiver in a later one); a service
///    in no group is cut from nothing;
///  - isolate: groups [[isolate], [every other service]];
///  - halves: the first floor(n/2) services against the rest;
///  - ring (Jepsen's majorities ring): service i hears only the majority
///    window of n/2+1 services around it on the ring, so every service sees
///    a majority but no two see the same one.
std::set<std::pair<std::string, std::string>> partition_cut_pairs(const PartitionParams& p,
                                                                  const std::vector<std::string>& services);

/// Which directions of one link a partition cuts.
struct LinkCut {
  std::string link;
  bool upstream = false;    ///< client to server traffic
  bool downstream = false;  ///< server to client traffic
};

/// The links a partition cuts, in the order of `links`: upstream when some
/// client may not send to the server, downstream when the server may not
/// send to some client. A link with no known server or clients is never cut.
std::vector<LinkCut> partition_cuts(const PartitionParams& p, const std::vector<std::string>& services,
                                    const std::vector<LinkEnds>& links);

}  // namespace faultline
