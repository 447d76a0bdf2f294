// partition_effect and the partition warning (partition_effect.hpp). The
// links a partition cuts come from partition_cuts (topology.hpp), the same
// function the net.partition injector uses, so the plan says what the run
// will do; a cut direction of a link is then lost by every client of it.
#include "scenario/partition_effect.hpp"

#include <fmt/format.h>

#include <map>

namespace faultline {

PartitionEffect partition_effect(const Scenario& s, const PartitionParams& p) {
  PartitionEffect out;
  const auto ends = link_ends(s);
  out.links = partition_cuts(p, service_names(s), ends);
  const auto meant = partition_cut_pairs(p, service_names(s));
  for (const auto& c : out.links)
    for (const auto& l : ends) {
      if (l.link != c.link) continue;
      for (const auto& client : l.clients) {
        if (client == l.server) continue;
        if (c.upstream) out.lost.insert({client, l.server});
        if (c.downstream) out.lost.insert({l.server, client});
      }
    }
  for (const auto& pair : out.lost)
    if (!meant.count(pair)) out.collateral.insert(pair);
  return out;
}

std::vector<std::string> pair_texts(const std::set<std::pair<std::string, std::string>>& pairs) {
  std::vector<std::string> out;
  for (const auto& [a, b] : pairs) {
    const bool both = pairs.count({b, a}) > 0;
    if (both && b < a) continue;  // said once, as "b <-> a"
    out.push_back(fmt::format("{} {} {}", a, both ? "<->" : "->", b));
  }
  return out;
}

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
  return out;
}

/// The links through which a collateral pair is lost, with their clients.
std::string shared_links(const Scenario& s, const PartitionEffect& e) {
  std::vector<std::string> out;
  const auto ends = link_ends(s);
  for (const auto& c : e.links)
    for (const auto& l : ends) {
      if (l.link != c.link || l.clients.size() < 2) continue;
      bool carries = false;
      for (const auto& client : l.clients)
        carries |= e.collateral.count({client, l.server}) > 0 || e.collateral.count({l.server, client}) > 0;
      if (carries) out.push_back(fmt::format("'{}' (to {}, shared by {})", l.link, l.server, join(l.clients)));
    }
  return join(out);
}

}  // namespace

std::vector<Diagnostic> scenario_warnings(const Scenario& s) {
  std::vector<Diagnostic> out;
  if (s.network != NetworkMode::links || !s.hosts.empty()) return out;
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const FaultSpec& f = s.faults[i];
    const auto* p = f.params.get_if<PartitionParams>();
    if (!p || f.select) continue;
    const PartitionEffect e = partition_effect(s, *p);
    if (e.collateral.empty()) continue;
    SourcePos pos = f.pos;
    if (pos.file.empty()) pos.file = s.file;
    out.push_back({pos,
                   fmt::format("fault '{}' (net.partition) also cuts {}, which its groups do not separate: "
                               "it cuts link(s) {}, and a cut link is cut for every client of it",
                               f.name, join(pair_texts(e.collateral)), shared_links(s, e)),
                   "give each client a link of its own, or use network = \"namespaces\" (each service its own "
                   "address; a partition then cuts exactly its groups), e.g. for a mesh whose members all use the "
                   "same addresses"});
  }
  return out;
}

std::string format_warning(const Diagnostic& d) {
  std::string out = format_diagnostic(d);
  // format_diagnostic says "error:"; a warning says so instead.
  if (auto at = out.find(": error: "); at != std::string::npos) out.replace(at, 9, ": warning: ");
  return out;
}

}  // namespace faultline
