// What a net.partition really cuts through proxied links (issue 21, "say
// what it will do"). With network = "links" a partition acts on [[link]]s,
// and a link carries the traffic of all its clients to one server: when one
// client must lose the server, every client of that link loses it. So a
// partition can cut more pairs of services than its groups separate, and a
// mesh whose members all reach each other through one shared link loses
// everything. `plan` lists, for each partition, the links it cuts and the
// pairs that lose each other; `validate` warns (exit 0 unless --strict) when
// the links make it cut more than its groups imply. Pure functions of the
// scenario.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "scenario/diagnostics.hpp"
#include "scenario/scenario.hpp"
#include "scenario/topology.hpp"

namespace faultline {

/// What one partition does through the scenario's links.
struct PartitionEffect {
  std::vector<LinkCut> links;  ///< the links it cuts, in declaration order
  /// (sender, receiver) pairs of services whose traffic through the links is cut.
  std::set<std::pair<std::string, std::string>> lost;
  /// Of `lost`, the pairs its groups do not separate: cut only because they share a link.
  std::set<std::pair<std::string, std::string>> collateral;
};

/// The effect of partition `p` on the links of `s` (network = "links").
PartitionEffect partition_effect(const Scenario& s, const PartitionParams& p);

/// "a -> b, b -> a" as "a <-> b": each pair once, in order.
std::vector<std::string> pair_texts(const std::set<std::pair<std::string, std::string>>& pairs);

/// The warnings of `s`: not errors (the scenario runs), but probably not what
/// was meant. Today: a partition over proxied links that cuts pairs its groups
/// do not separate, at the fault, pointing at network = "namespaces".
std::vector<Diagnostic> scenario_warnings(const Scenario& s);

/// Renders `file:line:col: warning: message (hint)`.
std::string format_warning(const Diagnostic& d);

}  // namespace faultline
