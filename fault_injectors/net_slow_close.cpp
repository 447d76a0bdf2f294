// net.slow_close — a peer's close reaches the other peer late.
//
// How it works: a stage in the chosen directions of every connection of the
// target link (open and new) lets data through untouched but holds a peer's
// close (the FIN the proxy reads as end of stream) for `delay` before the
// proxy shuts down its side towards the other peer. Downstream, a client sees
// the server's close `delay` late, as with a server that lingers in close or
// a NAT that sits on the FIN; upstream, the server sees the client's close
// late and keeps resources for it meanwhile. Resets are not delayed.
//
// How it is undone: the stage is removed; a close it still held is delivered
// at once, and closes from then on are delivered when they happen. No data
// is touched, so nothing can be lost or reordered.
#include "fault_injectors/link_injector.hpp"
#include "fault_injectors/net_faults.hpp"

namespace faultline {

namespace {

class SlowCloseStage final : public proxy::Stage {
 public:
  explicit SlowCloseStage(Nanos delay) : delay_(delay) {}

  void push(proxy::Item item, TimePoint arrival, proxy::StageOutput& out) override {
    const bool close = item.kind == proxy::Item::Kind::close;
    proxy::emit(std::move(item), close ? arrival + delay_ : arrival, out);
  }

 private:
  Nanos delay_;
};

class SlowCloseFault final : public proxy::LinkFault {
 public:
  explicit SlowCloseFault(const SlowCloseParams& p) : p_(p) {}

  proxy::Effect effect(std::mt19937_64&) override {
    proxy::Effect e;
    if (p_.direction != NetDirection::downstream) e.upstream = std::make_unique<SlowCloseStage>(p_.delay);
    if (p_.direction != NetDirection::upstream) e.downstream = std::make_unique<SlowCloseStage>(p_.delay);
    return e;
  }

 private:
  SlowCloseParams p_;
};

}  // namespace

std::shared_ptr<proxy::LinkFault> slow_close_fault(const SlowCloseParams& p) {
  return std::make_shared<SlowCloseFault>(p);
}

std::unique_ptr<Injector> make_net_slow_close(const FaultSpec& spec) {
  const auto& p = std::get<SlowCloseParams>(spec.params);
  return make_link_injector(spec, slow_close_fault(p), p.toxicity);
}

}  // namespace faultline
