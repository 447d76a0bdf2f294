// net.bandwidth — a link that carries only `rate` bytes per second.
//
// How it works: a stage in the chosen directions of every connection of the
// target link (open and new) schedules each byte at the time a line of that
// rate would have finished sending it. While the stage is busy, byte n after
// the start of the busy period leaves at start + n / rate; when data arrives
// after the last scheduled byte has gone, a new busy period starts (no burst
// is saved up while idle). Chunks are cut into pieces of 10 ms worth of bytes
// (at least 1, at most 64 KiB), each written when its last byte is due, so
// the receiver sees a steady stream rather than bursts, and the rate is
// exact over any span longer than a piece. The proxy reads ahead only up to
// 4 MiB per direction, then stops reading, so the sender is slowed down by
// TCP flow control as by a slow network. The limit applies per connection
// and per direction. Closes and resets queue behind the data.
//
// How it is undone: the stage is removed; the bytes it was pacing leave at
// once, in order, and the connection runs at full speed again. No
// connection is closed and no byte is lost or reordered.
//
// With network = "namespaces" — the kernel's token bucket.
//
// How it works: a tbf (token bucket filter) becomes the root qdisc of the
// target service's veth end for each direction (ns_qdisc.hpp says which end
// is which). Tokens accrue at `rate` (converted to bits per second for tc);
// the bucket holds 10 ms of traffic (at least one full frame), and a packet
// that would wait more than 200 ms in the queue is dropped, as on a real
// congested link. Unlike the proxied kind, the rate is for all of the
// service's traffic in that direction together, not per connection, and
// `toxicity` does not apply (validate refuses a value other than 1).
//
// How it is undone: the root qdisc of each device is deleted (the device
// falls back to its default queue) and `tc qdisc show` is read back; a
// device that is gone took its qdisc with it.
//
// When the target is a service on a [[host]] — the same tbf on the hosts'
// own interfaces (host_qdisc.cpp says how it works and how it is undone):
// downstream on the service's host toward the other hosts, upstream on the
// other hosts toward it, only for traffic between the hosts, with a
// guardian on each host that deletes the run's qdisc if the controller is
// lost. The rate is for all of a host's shaped traffic in that direction.
#include "fault_injectors/net_bandwidth.hpp"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>

#include "fault_injectors/host_qdisc.hpp"
#include "fault_injectors/link_kind.hpp"
#include "fault_injectors/ns_qdisc.hpp"
#include "os/netns.hpp"
#include "scenario/rate.hpp"

namespace faultline {

namespace {

constexpr std::size_t kMaxPiece = 64 * 1024;
constexpr double kPieceSeconds = 0.010;

class BandwidthStage final : public proxy::Stage {
 public:
  explicit BandwidthStage(double rate)
      : rate_(rate),
        piece_(static_cast<std::size_t>(std::clamp(rate * kPieceSeconds, 1.0, static_cast<double>(kMaxPiece)))) {}

  void push(proxy::Item item, TimePoint arrival, proxy::StageOutput& out) override {
    if (arrival >= busy_until()) {  // idle: a new busy period
      start_ = arrival;
      scheduled_ = 0;
    }
    if (item.kind != proxy::Item::Kind::data) {
      proxy::emit(std::move(item), std::max(arrival, busy_until()), out);
      return;
    }
    const auto& bytes = item.bytes;
    for (std::size_t at = 0; at < bytes.size(); at += piece_) {
      const std::size_t len = std::min(piece_, bytes.size() - at);
      proxy::Item piece;
      piece.bytes.assign(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                         bytes.begin() + static_cast<std::ptrdiff_t>(at + len));
      scheduled_ += static_cast<double>(len);
      proxy::emit(std::move(piece), busy_until(), out);
    }
  }

 private:
  /// When the last byte scheduled so far has gone.
  TimePoint busy_until() const {
    return start_ + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(scheduled_ / rate_));
  }

  double rate_;
  std::size_t piece_;
  TimePoint start_{};
  double scheduled_ = 0;  ///< bytes scheduled since start_
};

FaultParams read(ParamReader& r) {
  BandwidthParams p;
  if (r.require("rate")) assign(p.rate, r.rate("rate"));
  assign(p.direction, read_direction(r));
  assign(p.toxicity, r.probability("toxicity"));
  return p;
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<BandwidthParams>();
  if (!p) return {};
  return fmt::format("limit to {} per connection, {}{}{}", format_rate(p->rate), direction_text(p->direction),
                     toxicity_text(p->toxicity), on_link(f));
}

std::unique_ptr<Injector> make_kernel(const FaultSpec& spec) {
  const auto& p = spec.params.get<BandwidthParams>();
  return make_qdisc_injector(
      spec, p.direction, "tbf",
      [rate = p.rate](const std::string& netns, const std::string& dev) { return tbf_argv(netns, dev, rate); },
      describe(spec));
}

void check(FaultCheck& c) {
  if (const auto* p = c.fault().params.get_if<BandwidthParams>()) check_host_qdisc(c, p->direction, p->toxicity);
}

}  // namespace

std::shared_ptr<proxy::LinkFault> bandwidth_fault(const BandwidthParams& p) {
  return std::make_shared<DirectionalFault>(p.direction,
                                            [rate = p.rate](std::uint64_t) { return std::make_unique<BandwidthStage>(rate); });
}

namespace {

/// The link version, or tbf across [[host]]s when the target runs on one (host_qdisc.hpp).
std::unique_ptr<Injector> make(const FaultSpec& spec) {
  const auto& p = spec.params.get<BandwidthParams>();
  return with_host_version(spec, make_link_kind<BandwidthParams, &bandwidth_fault, &describe>(spec), p.direction,
                           qdisc_leaf(tbf_argv("", "", p.rate)), describe(spec));
}

}  // namespace

const InjectorKind& net_bandwidth_kind() {
  static const InjectorKind kind = [] {
    InjectorKind k = link_kind<BandwidthParams, &bandwidth_fault, &read, &describe>(
      {"net.bandwidth",
       "limit the throughput of the target link",
       true,
       {
           {"rate", "rate", "", "bytes per second per connection and direction: \"100KB/s\", \"1.5MiB/s\", \"8Mbit/s\"; > 0", true},
           direction_key(),
           toxicity_key(),
       }},
      &check, &make_kernel);
    k.make = &make;
    return k;
  }();
  return kind;
}

}  // namespace faultline
