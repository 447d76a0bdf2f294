// The pure plan of a run's network: subnet arithmetic, host grouping, and
// the names of namespaces and veth ends (network_plan.hpp).
#include "scenario/network_plan.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>

namespace faultline {

namespace {

std::string dotted(std::uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

}  // namespace

// ---------------------------------------------------------------- subnet

std::uint64_t Subnet::usable() const {
  const std::uint64_t size = std::uint64_t{1} << (32 - prefix);
  return size >= 4 ? size - 2 : 0;
}

std::string Subnet::address(std::uint32_t n) const { return dotted(network + n); }

std::string Subnet::text() const { return fmt::format("{}/{}", dotted(network), prefix); }

std::optional<Subnet> parse_subnet(const std::string& text, std::string* why) {
  auto fail = [&](std::string w) -> std::optional<Subnet> {
    if (why) *why = std::move(w);
    return std::nullopt;
  };
  const auto slash = text.find('/');
  if (slash == std::string::npos) return fail("expected an IPv4 range such as \"10.77.0.0/24\" (address/prefix)");
  std::uint32_t addr = 0;
  std::size_t i = 0;
  const std::string ip = text.substr(0, slash);
  for (int part = 0; part < 4; ++part) {
    const std::size_t j = part < 3 ? ip.find('.', i) : ip.size();
    if (j == std::string::npos) return fail(fmt::format("'{}' is not an IPv4 address", ip));
    unsigned v = 0;
    auto [p, ec] = std::from_chars(ip.data() + i, ip.data() + j, v);
    if (ec != std::errc() || p != ip.data() + j || j == i || v > 255)
      return fail(fmt::format("'{}' is not an IPv4 address", ip));
    addr = (addr << 8) | v;
    i = j + 1;
  }
  int prefix = 0;
  auto [p, ec] = std::from_chars(text.data() + slash + 1, text.data() + text.size(), prefix);
  if (ec != std::errc() || p != text.data() + text.size() || prefix < 8 || prefix > 30)
    return fail(fmt::format("the prefix length of '{}' must be a number from 8 to 30", text));
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  if ((addr & ~mask) != 0)
    return fail(fmt::format("'{}' has host bits set; the range starts at {}/{}", text, dotted(addr & mask), prefix));
  return Subnet{addr, prefix};
}

// ---------------------------------------------------------------- plan

const NetHost* NetworkPlan::host_of(const std::string& service) const {
  for (const auto& h : hosts)
    if (std::find(h.services.begin(), h.services.end(), service) != h.services.end()) return &h;
  return nullptr;
}

std::string run_tag(const std::string& run_id) {
  return run_id.size() <= 6 ? run_id : run_id.substr(run_id.size() - 6);
}

std::string hub_netns(const std::string& tag) { return "fl-" + tag; }

std::vector<std::pair<std::string, std::vector<std::string>>> scenario_hosts(const Scenario& s) {
  std::vector<std::pair<std::string, std::vector<std::string>>> hosts;
  for (const auto& svc : s.services) {
    const std::string name = svc.host.empty() ? svc.name : svc.host;
    auto it = std::find_if(hosts.begin(), hosts.end(), [&](const auto& h) { return h.first == name; });
    if (it == hosts.end()) hosts.push_back({name, {svc.name}});
    else it->second.push_back(svc.name);
  }
  return hosts;
}

NetworkPlan plan_network(const Scenario& s, const std::string& run_id) {
  std::string why;
  auto subnet = parse_subnet(s.subnet, &why);
  if (!subnet) throw NetworkError("subnet: " + why);
  NetworkPlan plan;
  plan.tag = run_tag(run_id);
  plan.hub = hub_netns(plan.tag);
  plan.subnet = *subnet;
  for (const auto& svc : s.services) plan.services.push_back(svc.name);
  const auto hosts = scenario_hosts(s);
  if (hosts.size() + 1 > subnet->usable())
    throw NetworkError(fmt::format("subnet {} has {} addresses, the run needs {} (the hub and {} host(s))",
                                   subnet->text(), subnet->usable(), hosts.size() + 1, hosts.size()));
  plan.hub_address = subnet->address(1);
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    NetHost h;
    h.name = hosts[i].first;
    h.services = hosts[i].second;
    h.netns = plan.hub + "-" + h.name;
    h.address = subnet->address(static_cast<std::uint32_t>(i + 2));
    h.hub_if = fmt::format("fl{}h{}", plan.tag, i);
    h.host_if = fmt::format("fl{}n{}", plan.tag, i);
    plan.hosts.push_back(std::move(h));
  }
  return plan;
}

}  // namespace faultline
