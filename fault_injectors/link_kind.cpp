// The injector and the directional fault of link_kind.hpp, and the pieces
// the link kinds' descriptors share.
#include "fault_injectors/link_kind.hpp"

#include <fmt/format.h>

#include "fault_injectors/proxy/link_set.hpp"
#include "scenario/schedule.hpp"

namespace faultline {

namespace {

/// FNV-1a: a stable hash of a fault's name for seeding (std::hash is not
/// guaranteed stable between builds).
std::uint64_t stable_hash(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

class LinkInjector final : public Injector {
 public:
  LinkInjector(const FaultSpec& spec, std::shared_ptr<proxy::LinkFault> fault, double toxicity,
               std::string description)
      : spec_(spec), fault_(std::move(fault)), toxicity_(toxicity), description_(std::move(description)) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    link(ctx);
    co_return;
  }

  asio::awaitable<void> inject(InjectorContext& ctx) override {
    proxy::Link& l = link(ctx);
    id_ = l.add_fault(fault_, {spec_.name, spec_.kind, ctx.iteration, application_seed(ctx, spec_.name), toxicity_});
    co_return;
  }

  asio::awaitable<void> revert(InjectorContext& ctx) override {
    if (!id_) co_return;  // never injected: nothing to undo
    proxy::Link* l = ctx.links ? ctx.links->find(spec_.target) : nullptr;
    if (!l) co_return;  // the link is gone, and the fault with it
    l->remove_fault(id_);
    if (l->applied(id_))
      throw FaultError(fmt::format("{} is still applied to a connection of link '{}' after its removal", spec_.kind,
                                   spec_.target));
  }

  bool reversible() const override { return true; }

  std::string describe() const override { return description_; }

 private:
  proxy::Link& link(InjectorContext& ctx) const {
    proxy::Link* l = ctx.links ? ctx.links->find(spec_.target) : nullptr;
    if (!l) throw FaultError(fmt::format("link '{}' is not running", spec_.target));
    return *l;
  }

  FaultSpec spec_;
  std::shared_ptr<proxy::LinkFault> fault_;
  double toxicity_;
  std::string description_;
  std::uint64_t id_ = 0;
};

}  // namespace

std::unique_ptr<Injector> make_link_injector(const FaultSpec& spec, std::shared_ptr<proxy::LinkFault> fault,
                                             double toxicity, std::string description) {
  return std::make_unique<LinkInjector>(spec, std::move(fault), toxicity, std::move(description));
}

std::uint64_t application_seed(InjectorContext& ctx, const std::string& name) {
  const std::uint64_t nth = ctx.links ? ctx.links->next_application(name, ctx.iteration) : 0;
  return mix_seed(ctx.seed, stable_hash(name), (static_cast<std::uint64_t>(ctx.iteration) << 32) | nth);
}

proxy::Effect DirectionalFault::effect(std::mt19937_64& rng) {
  proxy::Effect e;
  const std::uint64_t up_seed = rng(), down_seed = rng();
  if (stage_ && direction_ != NetDirection::downstream) e.upstream = stage_(up_seed);
  if (stage_ && direction_ != NetDirection::upstream) e.downstream = stage_(down_seed);
  e.action = action_;
  e.after = after_;
  return e;
}

KeySpec direction_key(std::string help) { return {"direction", "string", "both", std::move(help), false}; }

KeySpec toxicity_key(std::string help) { return {"toxicity", "probability", "1", std::move(help), false}; }

std::optional<NetDirection> read_direction(ParamReader& r) {
  auto d = r.choice("direction", {"upstream", "downstream", "both"});
  if (!d) return std::nullopt;
  return *d == "upstream" ? NetDirection::upstream : *d == "downstream" ? NetDirection::downstream : NetDirection::both;
}

std::string direction_text(NetDirection d) {
  switch (d) {
    case NetDirection::upstream: return "upstream (client to server)";
    case NetDirection::downstream: return "downstream (server to client)";
    case NetDirection::both: return "both directions";
  }
  return "?";
}

std::string toxicity_text(double toxicity) {
  return toxicity < 1 ? fmt::format(", {:g}% of connections", toxicity * 100) : std::string();
}

std::string on_link(const FaultSpec& f) { return fmt::format(" on link '{}'", f.target); }

}  // namespace faultline
