// net.blackhole — a link that swallows everything and never answers.
//
// How it works: a stage in the chosen directions of every connection of the
// target link (open and new) discards every byte of data it receives;
// the proxy keeps reading, so the sender's writes succeed and nothing comes
// back: the connection hangs, as behind a firewall that drops packets. A
// peer's close or reset is not discarded but held, as a FIN or RST would be
// retransmitted until it gets through: it reaches the other peer once the
// fault is reverted. New connections are still accepted and connected to
// the server (the handshake is the kernel's). With `close_after`, each
// connection the fault reached is closed (a FIN to both peers) that long
// after it reached it, the way a middlebox gives up on a silent connection.
// Discarded bytes are counted in the run record per link and direction.
//
// How it is undone: the stage is removed from every connection and pending
// closes are cancelled. The data discarded while it was applied is gone for
// good (that was the fault); what arrives from then on passes through, and a
// held close or reset moves on. Connections the fault did not close stay open.
#include "fault_injectors/link_injector.hpp"
#include "fault_injectors/net_faults.hpp"

namespace faultline {

namespace {

class BlackholeStage final : public proxy::Stage {
 public:
  void push(proxy::Item item, TimePoint, proxy::StageOutput& out) override {
    if (item.kind == proxy::Item::Kind::data) {
      out.discarded += item.bytes.size();
      return;
    }
    proxy::emit(std::move(item), proxy::Item::forever(), out);
  }
};

class BlackholeFault final : public proxy::LinkFault {
 public:
  explicit BlackholeFault(const BlackholeParams& p) : p_(p) {}

  proxy::Effect effect(std::mt19937_64&) override {
    proxy::Effect e;
    if (p_.direction != NetDirection::downstream) e.upstream = std::make_unique<BlackholeStage>();
    if (p_.direction != NetDirection::upstream) e.downstream = std::make_unique<BlackholeStage>();
    if (p_.close_after) {
      e.action = proxy::Effect::Action::close;
      e.after = *p_.close_after;
    }
    return e;
  }

 private:
  BlackholeParams p_;
};

}  // namespace

std::shared_ptr<proxy::LinkFault> blackhole_fault(const BlackholeParams& p) {
  return std::make_shared<BlackholeFault>(p);
}

std::unique_ptr<Injector> make_net_blackhole(const FaultSpec& spec) {
  const auto& p = std::get<BlackholeParams>(spec.params);
  return make_link_injector(spec, blackhole_fault(p), p.toxicity);
}

}  // namespace faultline
