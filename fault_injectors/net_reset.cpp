// net.reset — connections through a link are reset.
//
// How it works: every connection the fault reaches (the open ones when it is
// injected, each new one when it is accepted) is ended `after` that moment
// (at once by default) by closing both of its sockets with SO_LINGER set to
// zero, so that the kernel sends a TCP RST to both peers instead of a FIN:
// both see "connection reset by peer" on their next read or write, as when
// a peer crashes or a middlebox drops its connection state. While the fault
// is applied, clients can still connect (the kernel completes the handshake
// on the link's listening socket) but each connection is reset before any
// byte goes through, which is how a client meets a server that resets
// everything. With `toxicity` below 1, each connection is reset with that
// probability. Resets are counted in the run record per link.
//
// How it is undone: resets that have not happened yet are cancelled and new
// connections go through again. A reset connection stays reset (reconnecting
// is the clients' job, and how fast they do it is what the drill measures);
// connections the fault spared were never touched.
#include "fault_injectors/link_injector.hpp"
#include "fault_injectors/net_faults.hpp"

namespace faultline {

namespace {

class ResetFault final : public proxy::LinkFault {
 public:
  explicit ResetFault(const ResetParams& p) : p_(p) {}

  proxy::Effect effect(std::mt19937_64&) override {
    proxy::Effect e;
    e.action = proxy::Effect::Action::reset;
    e.after = p_.after;
    return e;
  }

 private:
  ResetParams p_;
};

}  // namespace

std::shared_ptr<proxy::LinkFault> reset_fault(const ResetParams& p) { return std::make_shared<ResetFault>(p); }

std::unique_ptr<Injector> make_net_reset(const FaultSpec& spec) {
  const auto& p = std::get<ResetParams>(spec.params);
  return make_link_injector(spec, reset_fault(p), p.toxicity);
}

}  // namespace faultline
