#include "scenario/topology.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "scenario/placeholders.hpp"

namespace faultline {

std::string link_server(const Scenario& s, const LinkSpec& link) {
  if (!link.service.empty()) return link.service;
  for (const auto& use : find_placeholders(link.to)) {
    if (!use.name.starts_with("port.")) continue;
    const std::string port = use.name.substr(5);
    for (const auto& svc : s.services)
      if (std::find(svc.ports.begin(), svc.ports.end(), port) != svc.ports.end()) return svc.name;
  }
  return {};
}

std::vector<LinkEnds> link_ends(const Scenario& s) {
  std::vector<LinkEnds> out;
  for (const auto& l : s.links) out.push_back({l.name, link_server(s, l), l.from});
  return out;
}

std::vector<std::string> service_names(const Scenario& s) {
  std::vector<std::string> out;
  for (const auto& svc : s.services) out.push_back(svc.name);
  return out;
}

namespace {

/// The group of each listed service (0-based), for the grouping shapes.
std::map<std::string, std::size_t> group_of(const PartitionParams& p, const std::vector<std::string>& services) {
  std::map<std::string, std::size_t> out;
  if (!p.isolate.empty()) {
    for (const auto& s : services) out[s] = s == p.isolate ? 0 : 1;
    out[p.isolate] = 0;
  } else if (p.shape == PartitionShape::halves) {
    const std::size_t half = services.size() / 2;
    for (std::size_t i = 0; i < services.size(); ++i) out[services[i]] = i < half ? 0 : 1;
  } else {
    for (std::size_t g = 0; g < p.groups.size(); ++g)
      for (const auto& s : p.groups[g]) out.emplace(s, g);
  }
  return out;
}

}  // namespace

std::set<std::pair<std::string, std::string>> partition_cut_pairs(const PartitionParams& p,
                                                                  const std::vector<std::string>& services) {
  std::set<std::pair<std::string, std::string>> cut;
  if (p.shape == PartitionShape::ring && p.isolate.empty() && p.groups.empty()) {
    const std::size_t n = services.size();
    if (n < 3) return cut;
    const std::size_t majority = n / 2 + 1;
    const std::size_t before = majority / 2;  // the window [i - before, i - before + majority)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        const std::size_t offset = (j + n + before - i) % n;  // j's place in i's window
        if (offset >= majority) cut.insert({services[j], services[i]});
      }
    return cut;
  }
  const auto groups = group_of(p, services);
  for (const auto& [a, ga] : groups)
    for (const auto& [b, gb] : groups) {
      if (ga == gb) continue;
      if (p.one_way && !(ga == 0 && gb > 0)) continue;
      cut.insert({a, b});
    }
  return cut;
}

std::vector<LinkCut> partition_cuts(const PartitionParams& p, const std::vector<std::string>& services,
                                    const std::vector<LinkEnds>& links) {
  const auto pairs = partition_cut_pairs(p, services);
  std::vector<LinkCut> out;
  for (const auto& l : links) {
    if (l.server.empty()) continue;
    LinkCut c{l.link};
    for (const auto& client : l.clients) {
      c.upstream |= pairs.count({client, l.server}) > 0;
      c.downstream |= pairs.count({l.server, client}) > 0;
    }
    if (c.upstream || c.downstream) out.push_back(c);
  }
  return out;
}

}  // namespace faultline
