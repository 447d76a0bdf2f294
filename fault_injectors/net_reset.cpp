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
#include "fault_injectors/net_reset.hpp"

#include <fmt/format.h>

#include "fault_injectors/link_kind.hpp"

namespace faultline {

namespace {

FaultParams read(ParamReader& r) {
  ResetParams p;
  assign(p.after, r.duration("after", DurationMin::zero));
  assign(p.toxicity, r.probability("toxicity"));
  return p;
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<ResetParams>();
  if (!p) return {};
  return fmt::format("reset connections (RST){}{}{}",
                     p->after.count() > 0 ? fmt::format(" {} after the fault reaches them", format_duration(p->after))
                                          : std::string(),
                     toxicity_text(p->toxicity), on_link(f));
}

}  // namespace

std::shared_ptr<proxy::LinkFault> reset_fault(const ResetParams& p) {
  return std::make_shared<DirectionalFault>(NetDirection::both, nullptr, proxy::Effect::Action::reset, p.after);
}

const InjectorKind& net_reset_kind() {
  static const InjectorKind kind = link_kind<ResetParams, &reset_fault, &read, &describe>(
      {"net.reset",
       "reset the connections of the target link (TCP RST to both peers), existing and new",
       true,
       {
           {"after", "duration", "0s", "reset each connection this long after the fault reached it; >= 0", false},
           toxicity_key(),
       }});
  return kind;
}

}  // namespace faultline
