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
#include <fmt/format.h>

#include "fault_injectors/link_injector.hpp"
#include "fault_injectors/net_faults.hpp"
#include "fault_injectors/proxy/link_set.hpp"
#include "scenario/net_describe.hpp"
#include "scenario/topology.hpp"

namespace faultline {

namespace {

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
  explicit NetPartition(const FaultSpec& spec) : spec_(spec), params_(std::get<PartitionParams>(spec.params)) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    if (!ctx.links) throw FaultError("the run has no links to cut");
    cuts_ = partition_cuts(params_, ctx.links->services(), ctx.links->ends());
    if (cuts_.empty()) throw FaultError("the partition cuts no link");
    for (const auto& c : cuts_)
      if (!ctx.links->find(c.link)) throw FaultError(fmt::format("link '{}' is not running", c.link));
    co_return;
  }

  asio::awaitable<void> inject(InjectorContext& ctx) override {
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

  std::string describe() const override {
    std::string d = describe_net_fault(spec_);
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
};

}  // namespace

std::shared_ptr<proxy::LinkFault> partition_fault(PartitionMode mode, bool upstream, bool downstream) {
  return std::make_shared<PartitionFault>(mode, upstream, downstream);
}

std::unique_ptr<Injector> make_net_partition(const FaultSpec& spec) { return std::make_unique<NetPartition>(spec); }

}  // namespace faultline
