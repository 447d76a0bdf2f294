// net.partition — services in different groups can no longer reach each other.
//
// How it works: the services are divided into groups: explicit `groups`,
// `isolate` (one service against all others), or a named `shape` over every
// service in declaration order (`halves`; `ring`, Jepsen's majorities ring,
// where each service still sees a majority but no two see the same one).
// That gives the pairs (sender, receiver) whose traffic is cut
// (topology.hpp). The only way between services is through links, and each
// link knows its server (`service`, or the owner of the port in its `to`)
// and its clients (`from`); a link is cut upstream when one of its clients
// may not send to its server, downstream when its server may not send to
// one of its clients. With direction "one", only traffic from the first
// group to the others is cut. Links whose clients are unknown are never cut.
//
// What a cut does depends on `mode`:
//  - drop, the network losing packets: every item (data, close, reset)
//    through a cut direction is held, not discarded; TCP would retransmit it
//    until the partition heals. The proxy reads ahead at most 4 MiB per
//    direction and then stops reading, so senders block as their send buffers
//    fill. New connections hang: the kernel completes the client's handshake
//    with the link, but the proxy does not connect to the server (the SYN is
//    "lost") until the partition heals. Endpoints notice only through their
//    own timeouts, which is the point of the drill.
//  - reject, a network that answers with resets: every connection of a cut
//    link is reset at once (RST to both peers) and every new one is reset as
//    soon as it is accepted, before any byte goes through.
//
// How it is undone: the fault is removed from every link it cut. With drop,
// everything that was held moves on at once, in order, and held connections
// are connected to the server, so connections whose endpoints did not give up
// carry on with no byte lost or reordered (a close or reset held during the
// partition arrives after it, as it would on a real network). With reject,
// new connections go through again; reset connections stay reset. Revert
// reads every link back and fails if any part of the partition is left.
//
// With network = "namespaces" the partition is made in the kernel instead
// (ns_partition.cpp, this kind's kernel version); when the scenario declares
// [[host]]s and the services it separates run on them, by an nft table on
// each host involved (host_partition.cpp, chosen here at prepare).
#include "fault_injectors/net_partition.hpp"

#include <fmt/format.h>
#include <map>

#include "fault_injectors/host_partition.hpp"
#include "fault_injectors/link_kind.hpp"
#include "fault_injectors/proxy/link_set.hpp"
#include "fault_injectors/remote_fault.hpp"
#include "scenario/topology.hpp"

namespace faultline {

std::unique_ptr<Injector> make_ns_partition(const FaultSpec& spec);  // ns_partition.cpp

namespace {

FaultParams read(ParamReader& r) {
  PartitionParams p;
  assign(p.groups, r.groups("groups"));
  assign(p.isolate, r.identifier("isolate"));
  if (auto shape = r.choice("shape", {"halves", "ring"}))
    p.shape = *shape == "ring" ? PartitionShape::ring : PartitionShape::halves;
  if (auto mode = r.choice("mode", {"drop", "reject"})) p.mode = *mode == "reject" ? PartitionMode::reject : PartitionMode::drop;
  if (auto d = r.choice("direction", {"both", "one"})) p.one_way = *d == "one";
  return p;
}

/// Whether `p` names its groups well: exactly one way, declared services, each in one group.
bool groups_ok(FaultCheck& c, const PartitionParams& p) {
  const FaultSpec& f = c.fault();
  const Scenario& s = c.scenario();
  const std::string& label = c.label();
  const int ways = (p.groups.empty() ? 0 : 1) + (p.isolate.empty() ? 0 : 1) + (p.shape ? 1 : 0);
  if (ways != 1) {
    c.error(f.pos,
          ways == 0 ? fmt::format("{} needs 'groups', 'isolate' or 'shape' to say which services to separate", label)
                    : fmt::format("{} has more than one of 'groups', 'isolate' and 'shape'; keep one", label),
          "e.g. isolate = \"db\", shape = \"halves\" or groups = [[\"a\"], [\"b\", \"c\"]]");
    return false;
  }
  bool names_ok = true;
  if (!p.isolate.empty() && !c.is_service(p.isolate)) {
    c.error(c.at("isolate"), fmt::format("{} isolates unknown service '{}'", label, p.isolate),
          c.service_hint(p.isolate));
    names_ok = false;
  }
  std::map<std::string, std::size_t> seen;
  std::size_t nonempty = 0;
  for (std::size_t g = 0; g < p.groups.size(); ++g) {
    if (!p.groups[g].empty()) ++nonempty;
    for (std::size_t k = 0; k < p.groups[g].size(); ++k) {
      const std::string& name = p.groups[g][k];
      const SourcePos pos = c.where(fmt::format("{}.groups[{}][{}]", c.path(), g, k), c.at("groups"));
      if (!c.is_service(name)) {
        c.error(pos, fmt::format("{} groups unknown service '{}'", label, name), c.service_hint(name));
        names_ok = false;
      } else if (auto [it, fresh] = seen.emplace(name, g); !fresh) {
        c.error(pos, fmt::format("service '{}' is in two groups of {} (groups {} and {})", name, label, it->second + 1, g + 1));
        names_ok = false;
      }
    }
  }
  if (!p.groups.empty() && nonempty < 2) {
    c.error(c.at("groups"), fmt::format("{} needs at least two non-empty groups to separate", label));
    names_ok = false;
  }
  if (p.shape == PartitionShape::ring && s.services.size() < 3) {
    c.error(c.at("shape"),
          fmt::format("shape \"ring\" needs at least 3 services, not {}", s.services.size()),
          "with fewer, every majority is the same one");
    names_ok = false;
  }
  if (p.shape == PartitionShape::ring && p.one_way) {
    c.error(c.at("direction"), "direction \"one\" does not apply to shape \"ring\", which has no first group",
          "use direction \"both\" or explicit groups");
    names_ok = false;
  }
  return names_ok;
}

/// Whether the partition separates anything: two hosts, or the two ends of a link.
void cuts_something(FaultCheck& c, const PartitionParams& p) {
  const FaultSpec& f = c.fault();
  const Scenario& s = c.scenario();
  const std::string& label = c.label();
  if (partition_on_hosts(s, p)) {
    check_host_partition(c, p);
    return;
  }
  if (c.namespaces()) {
    // Services that share a host share an address: nothing between them crosses the hub.
    std::map<std::string, std::string> host;
    for (const auto& svc : s.services) host[svc.name] = svc.host.empty() ? svc.name : svc.host;
    bool any = false;
    for (const auto& [a, b] : partition_cut_pairs(p, service_names(s))) {
      if (host[a] != host[b]) {
        any = true;
        continue;
      }
      if (a < b)
        c.error(f.pos, fmt::format("{} separates services '{}' and '{}', which share host '{}'", label, a, b, host[a]),
              "give them hosts of their own, or put them in the same group");
    }
    if (!any) c.error(f.pos, fmt::format("{} separates no two hosts", label));
    return;
  }
  if (partition_cuts(p, service_names(s), link_ends(s)).empty())
    c.error(f.pos, fmt::format("{} cuts no link: no [[link]] connects services that it separates", label),
          "a link is cut when a service in its 'from' and its server (its 'service', or the owner of the port in its "
          "'to') are separated");
}


void check(FaultCheck& c) {
  const auto* p = c.fault().params.get_if<PartitionParams>();
  if (p && groups_ok(c, *p)) cuts_something(c, *p);
}

std::string partition_text(const FaultSpec& f) {
  const auto* p = f.params.get_if<PartitionParams>();
  if (!p) return {};
  std::string how;
  if (!p->isolate.empty()) {
    how = fmt::format("isolate '{}'", p->isolate);
  } else if (p->shape) {
    how = *p->shape == PartitionShape::ring ? "majorities ring" : "halves";
  } else {
    for (const auto& g : p->groups) how += fmt::format("{}[{}]", how.empty() ? "" : " | ", join_comma(g));
  }
  const bool drop = p->mode == PartitionMode::drop;
  return fmt::format("partition {}, {} ({}), {}", how, drop ? "drop" : "reject",
                     drop ? "traffic held, new connections hang" : "connections reset, new ones as soon as accepted",
                     p->one_way ? "only from the first group to the others" : "both directions");
}

/// Holds everything until removed: what a partition does to a cut direction.
class HoldStage final : public proxy::Stage {
 public:
  void push(proxy::Item item, TimePoint, proxy::StageOutput& out) override {
    proxy::emit(std::move(item), proxy::Item::forever(), out);
  }
};

class PartitionFault final : public proxy::LinkFault {
 public:
  PartitionFault(PartitionMode mode, bool upstream, bool downstream)
      : mode_(mode), upstream_(upstream), downstream_(downstream) {}

  proxy::Effect effect(std::mt19937_64&) override {
    proxy::Effect e;
    if (mode_ == PartitionMode::reject) {
      e.action = proxy::Effect::Action::reset;
      return e;
    }
    if (upstream_) e.upstream = std::make_unique<HoldStage>();
    if (downstream_) e.downstream = std::make_unique<HoldStage>();
    e.hold_connect = true;
    return e;
  }

 private:
  PartitionMode mode_;
  bool upstream_;
  bool downstream_;
};

std::string cut_text(const LinkCut& c) {
  return fmt::format("'{}' ({})", c.link,
                     c.upstream && c.downstream ? "both directions"
                     : c.upstream               ? "upstream"
                                                : "downstream");
}

class NetPartition final : public Injector {
 public:
  explicit NetPartition(const FaultSpec& spec) : spec_(spec), params_(spec.params.get<PartitionParams>()) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    if (on_hosts(ctx)) {
      hosts_ = make_host_partition(spec_);
      co_await hosts_->prepare(ctx);
      co_return;
    }
    if (!ctx.links) throw FaultError("the run has no links to cut");
    cuts_ = partition_cuts(params_, ctx.links->services(), ctx.links->ends());
    if (cuts_.empty()) throw FaultError("the partition cuts no link");
    for (const auto& c : cuts_)
      if (!ctx.links->find(c.link)) throw FaultError(fmt::format("link '{}' is not running", c.link));
    co_return;
  }

  asio::awaitable<void> inject(InjectorContext& ctx) override {
    if (hosts_) {
      co_await hosts_->inject(ctx);
      co_return;
    }
    const std::uint64_t seed = application_seed(ctx, spec_.name);
    for (const auto& c : cuts_) {
      proxy::Link* l = ctx.links->find(c.link);
      if (!l) throw FaultError(fmt::format("link '{}' is not running", c.link));
      const auto id = l->add_fault(partition_fault(params_.mode, c.upstream, c.downstream),
                                   {spec_.name, spec_.kind, ctx.iteration, seed, 1.0});
      applied_.emplace_back(c.link, id);
    }
    co_return;
  }

  asio::awaitable<void> revert(InjectorContext& ctx) override {
    if (hosts_) {
      co_await hosts_->revert(ctx);
      co_return;
    }
    std::string left;
    for (const auto& [name, id] : applied_) {
      proxy::Link* l = ctx.links ? ctx.links->find(name) : nullptr;
      if (!l) continue;  // the link is gone, and the cut with it
      l->remove_fault(id);
      if (l->applied(id)) left += fmt::format("{}'{}'", left.empty() ? "" : ", ", name);
    }
    applied_.clear();
    if (!left.empty()) throw FaultError(fmt::format("the partition is still applied to link(s) {}", left));
    co_return;
  }

  bool reversible() const override { return true; }

  Undo undo_plan(InjectorContext& ctx) const override { return hosts_ ? hosts_->undo_plan(ctx) : Undo{}; }

  std::string describe() const override {
    if (hosts_) return hosts_->describe();
    std::string d = partition_text(spec_);
    if (!cuts_.empty()) {
      std::string links;
      for (const auto& c : cuts_) links += (links.empty() ? "" : ", ") + cut_text(c);
      d += fmt::format("; cuts link(s) {}", links);
    }
    return d;
  }

 private:
  FaultSpec spec_;
  PartitionParams params_;
  std::vector<LinkCut> cuts_;
  std::vector<std::pair<std::string, std::uint64_t>> applied_;
  std::unique_ptr<Injector> hosts_;  ///< across [[host]]s: host_partition.cpp does the work

  /// Whether a service the partition separates runs on a [[host]].
  bool on_hosts(const InjectorContext& ctx) const {
    if (!ctx.remote || !ctx.links) return false;
    for (const auto& [a, b] : partition_cut_pairs(params_, ctx.links->services()))
      if (remote_service(ctx, a) || remote_service(ctx, b)) return true;
    return false;
  }
};

}  // namespace

std::shared_ptr<proxy::LinkFault> partition_fault(PartitionMode mode, bool upstream, bool downstream) {
  return std::make_shared<PartitionFault>(mode, upstream, downstream);
}

const InjectorKind& net_partition_kind() {
  static const InjectorKind kind{
      .kind =
          {
              .spec = {"net.partition",
                       "cut every link between services in different groups (no target)",
                       true,
                       {
                           {"groups", "array of arrays of strings", "",
                            "the groups, e.g. [[\"a\"], [\"b\", \"c\"]]; a service in no group is not cut from anyone; exactly "
                            "one of groups, isolate and shape is required",
                            false},
                           {"isolate", "string", "", "shorthand for groups = [[\"SERVICE\"], [every other service]]", false},
                           {"shape", "string", "", "\"halves\" (services in declaration order, first half against the rest) or "
                                                   "\"ring\" (each service keeps only its neighbours: a majority, never the same one)",
                            false},
                           {"mode", "string", "drop", "\"drop\": traffic is held, as lost packets are, and new connections hang; "
                                                      "\"reject\": connections are reset, new ones as soon as they are accepted",
                            false},
                           {"direction", "string", "both", "\"both\", or \"one\": only traffic from the first group to the others", false},
                       }},
              .target = FaultTarget::none,
              .duration = FaultDuration::required,
              .duration_why = std::string(kHeldForDuration),
              .network = true,
              .kernel = true,
              .read = &read,
              .check = &check,
              .describe = &partition_text,
          },
      .make = &make_injector_of<NetPartition>,
      .make_kernel = &make_ns_partition,
  };
  return kind;
}

}  // namespace faultline
