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
#include "fault_injectors/net_blackhole.hpp"

#include <fmt/format.h>

#include "fault_injectors/link_kind.hpp"

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

FaultParams read(ParamReader& r) {
  BlackholeParams p;
  assign(p.direction, read_direction(r));
  if (auto d = r.duration("close_after", DurationMin::positive)) p.close_after = *d;
  assign(p.toxicity, r.probability("toxicity"));
  return p;
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<BlackholeParams>();
  if (!p) return {};
  return fmt::format("discard data, {}{}{}{}", direction_text(p->direction),
                     p->close_after ? fmt::format(", close connections after {}", format_duration(*p->close_after))
                                    : std::string(),
                     toxicity_text(p->toxicity), on_link(f));
}

}  // namespace

std::shared_ptr<proxy::LinkFault> blackhole_fault(const BlackholeParams& p) {
  return std::make_shared<DirectionalFault>(
      p.direction, [](std::uint64_t) { return std::make_unique<BlackholeStage>(); },
      p.close_after ? proxy::Effect::Action::close : proxy::Effect::Action::none, p.close_after.value_or(Nanos(0)));
}

const InjectorKind& net_blackhole_kind() {
  static const InjectorKind kind = link_kind<BlackholeParams, &blackhole_fault, &read, &describe>(
      {"net.blackhole",
       "read and discard the data of the target link, never answer",
       true,
       {
           direction_key(),
           {"close_after", "duration", "", "close each connection this long after the fault reached it; > 0; default: never", false},
           toxicity_key(),
       }});
  return kind;
}

}  // namespace faultline
