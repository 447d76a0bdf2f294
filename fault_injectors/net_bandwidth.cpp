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
#include <algorithm>
#include <chrono>

#include "fault_injectors/link_injector.hpp"
#include "fault_injectors/net_faults.hpp"

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

class BandwidthFault final : public proxy::LinkFault {
 public:
  explicit BandwidthFault(const BandwidthParams& p) : p_(p) {}

  proxy::Effect effect(std::mt19937_64&) override {
    proxy::Effect e;
    if (p_.direction != NetDirection::downstream) e.upstream = std::make_unique<BandwidthStage>(p_.rate);
    if (p_.direction != NetDirection::upstream) e.downstream = std::make_unique<BandwidthStage>(p_.rate);
    return e;
  }

 private:
  BandwidthParams p_;
};

}  // namespace

std::shared_ptr<proxy::LinkFault> bandwidth_fault(const BandwidthParams& p) {
  return std::make_shared<BandwidthFault>(p);
}

std::unique_ptr<Injector> make_net_bandwidth(const FaultSpec& spec) {
  const auto& p = std::get<BandwidthParams>(spec.params);
  return make_link_injector(spec, bandwidth_fault(p), p.toxicity);
}

}  // namespace faultline
