// net.latency — everything through a link arrives late.
//
// How it works: the fault puts a stage into the chosen directions of every
// connection of the target link, open ones at once and new ones when they
// are accepted. Each chunk of data the proxy reads (and the peer's close or
// reset, which travel like data) reaches the stage at time t and leaves it at
// t + d, where d is drawn per chunk: `latency` +/- `jitter` (uniform) or
// normally distributed around `latency` with standard deviation `jitter`,
// never below zero. A chunk never leaves before the one in front of it, so
// the stream stays in order as TCP would keep it: a short draw after a long
// one waits. Times are the chunks' own (the time each left the previous
// stage), not the proxy's wake-ups, so delays of successive stages and late
// timers do not add up. With `toxicity` below 1 each connection is delayed
// with that probability, drawn once per connection. Every draw comes from a
// stream seeded with the run's seed, the fault and the connection, so a
// replay draws the same delays for the same connections and chunks.
//
// How it is undone: the stage is removed from every connection; what it still
// held leaves at once, in order, behind what already left, and what is read
// from then on is passed straight through. No connection is closed and no
// byte is lost or reordered.
//
// With network = "namespaces" — the kernel's netem.
//
// How it works: netem becomes the root qdisc of the target service's veth
// end for each direction (ns_qdisc.hpp says which end is which) and holds
// every packet `latency` (+/- `jitter`, uniform by default or netem's normal
// table) before it leaves. Only where the kernel has sch_netem: many
// minimal kernels do not, and there validate, plan and run refuse the
// scenario in one line before anything is built (host_caps.hpp), pointing
// at proxied links, whose net.latency needs nothing from the kernel.
// `toxicity` does not apply (validate refuses a value other than 1).
//
// How it is undone: the root qdisc of each device is deleted, which releases
// the packets it held, and `tc qdisc show` is read back.
//
// When the target is a service on a [[host]] — netem on the hosts' own
// interfaces (host_qdisc.cpp says how it works and how it is undone):
// downstream on the service's host toward the other hosts, upstream on the
// other hosts toward it, only for traffic between the hosts, with a
// guardian on each host that deletes the run's qdisc if the controller is
// lost. The same parameters make the same netem as in namespaces.
#include "fault_injectors/net_latency.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <random>

#include "fault_injectors/host_qdisc.hpp"
#include "fault_injectors/link_kind.hpp"
#include "fault_injectors/ns_qdisc.hpp"
#include "os/netns.hpp"

namespace faultline {

namespace {

class LatencyStage final : public proxy::Stage {
 public:
  LatencyStage(const LatencyParams& p, std::uint64_t seed) : p_(p), rng_(seed) {}

  void push(proxy::Item item, TimePoint arrival, proxy::StageOutput& out) override {
    proxy::emit(std::move(item), arrival + draw(), out);
  }

 private:
  Nanos draw() {
    if (p_.jitter.count() <= 0) return p_.latency;
    const double mean = static_cast<double>(p_.latency.count());
    const double spread = static_cast<double>(p_.jitter.count());
    double d = p_.distribution == LatencyDistribution::normal
                   ? std::normal_distribution<double>(mean, spread)(rng_)
                   : std::uniform_real_distribution<double>(mean - spread, mean + spread)(rng_);
    return Nanos(static_cast<Nanos::rep>(std::max(0.0, d)));
  }

  LatencyParams p_;
  std::mt19937_64 rng_;
};

FaultParams read(ParamReader& r) {
  LatencyParams p;
  if (r.require("latency")) assign(p.latency, r.duration("latency", DurationMin::zero));
  assign(p.jitter, r.duration("jitter", DurationMin::zero));
  if (auto d = r.choice("distribution", {"uniform", "normal"}))
    p.distribution = *d == "normal" ? LatencyDistribution::normal : LatencyDistribution::uniform;
  assign(p.direction, read_direction(r));
  assign(p.toxicity, r.probability("toxicity"));
  return p;
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<LatencyParams>();
  if (!p) return {};
  const bool normal = p->distribution == LatencyDistribution::normal;
  std::string jitter = p->jitter.count() > 0 ? fmt::format(" {} {} ({})", normal ? "sd" : "+/-",
                                                           format_duration(p->jitter), normal ? "normal" : "uniform")
                                             : std::string();
  return fmt::format("delay {}{}, {}{}{}", format_duration(p->latency), jitter, direction_text(p->direction),
                     toxicity_text(p->toxicity), on_link(f));
}

std::unique_ptr<Injector> make_kernel(const FaultSpec& spec) {
  const auto& p = spec.params.get<LatencyParams>();
  return make_qdisc_injector(
      spec, p.direction, "netem", [p](const std::string& netns, const std::string& dev) { return netem_argv(netns, dev, p); },
      describe(spec));
}

void check(FaultCheck& c) {
  if (const auto* p = c.fault().params.get_if<LatencyParams>()) check_host_qdisc(c, p->direction, p->toxicity);
}

}  // namespace

std::shared_ptr<proxy::LinkFault> latency_fault(const LatencyParams& p) {
  return std::make_shared<DirectionalFault>(p.direction,
                                            [p](std::uint64_t seed) { return std::make_unique<LatencyStage>(p, seed); });
}

namespace {

/// The link version, or netem across [[host]]s when the target runs on one (host_qdisc.hpp).
std::unique_ptr<Injector> make(const FaultSpec& spec) {
  const auto& p = spec.params.get<LatencyParams>();
  return with_host_version(spec, make_link_kind<LatencyParams, &latency_fault, &describe>(spec), p.direction,
                           qdisc_leaf(netem_argv("", "", p)), describe(spec));
}

}  // namespace

const InjectorKind& net_latency_kind() {
  static const InjectorKind kind = [] {
    InjectorKind k = link_kind<LatencyParams, &latency_fault, &read, &describe>(
      {"net.latency",
       "delay every chunk of data through the target link",
       true,
       {
           {"latency", "duration", "", "added delay per direction; >= 0 (a round trip through 'both' gets twice this)", true},
           {"jitter", "duration", "0s", "variation of each delay: +/- jitter (uniform) or the standard deviation (normal); >= 0", false},
           {"distribution", "string", "uniform", "how delays are drawn: \"uniform\" or \"normal\" (never below 0)", false},
           direction_key("\"upstream\" (client to server), \"downstream\" (server to client) or \"both\""),
           toxicity_key("chance that a connection is affected, drawn per connection; 0..1"),
       }},
      &check, &make_kernel);
    k.make = &make;
    return k;
  }();
  return kind;
}

}  // namespace faultline
