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
#include "fault_injectors/net_slow_close.hpp"

#include <fmt/format.h>

#include "fault_injectors/link_kind.hpp"

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

FaultParams read(ParamReader& r) {
  SlowCloseParams p;
  if (r.require("delay")) assign(p.delay, r.duration("delay", DurationMin::positive));
  assign(p.direction, read_direction(r));
  assign(p.toxicity, r.probability("toxicity"));
  return p;
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<SlowCloseParams>();
  if (!p) return {};
  return fmt::format("delay closes by {}, {}{}{}", format_duration(p->delay), direction_text(p->direction),
                     toxicity_text(p->toxicity), on_link(f));
}

}  // namespace

std::shared_ptr<proxy::LinkFault> slow_close_fault(const SlowCloseParams& p) {
  return std::make_shared<DirectionalFault>(
      p.direction, [delay = p.delay](std::uint64_t) { return std::make_unique<SlowCloseStage>(delay); });
}

const InjectorKind& net_slow_close_kind() {
  static const InjectorKind kind = link_kind<SlowCloseParams, &slow_close_fault, &read, &describe>(
      {"net.slow_close",
       "delay a peer's close (FIN) on the target link",
       true,
       {
           {"delay", "duration", "", "how late the close reaches the other peer; > 0", true},
           direction_key("\"upstream\" (the client's close), \"downstream\" (the server's) or \"both\""),
           toxicity_key(),
       }});
  return kind;
}

}  // namespace faultline
