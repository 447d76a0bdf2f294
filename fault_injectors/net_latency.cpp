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
#include <algorithm>
#include <random>

#include "fault_injectors/link_injector.hpp"
#include "fault_injectors/net_faults.hpp"

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

class LatencyFault final : public proxy::LinkFault {
 public:
  explicit LatencyFault(const LatencyParams& p) : p_(p) {}

  proxy::Effect effect(std::mt19937_64& rng) override {
    proxy::Effect e;
    const std::uint64_t up_seed = rng(), down_seed = rng();
    if (p_.direction != NetDirection::downstream) e.upstream = std::make_unique<LatencyStage>(p_, up_seed);
    if (p_.direction != NetDirection::upstream) e.downstream = std::make_unique<LatencyStage>(p_, down_seed);
    return e;
  }

 private:
  LatencyParams p_;
};

}  // namespace

std::shared_ptr<proxy::LinkFault> latency_fault(const LatencyParams& p) { return std::make_shared<LatencyFault>(p); }

std::unique_ptr<Injector> make_net_latency(const FaultSpec& spec) {
  const auto& p = std::get<LatencyParams>(spec.params);
  return make_link_injector(spec, latency_fault(p), p.toxicity);
}

}  // namespace faultline
