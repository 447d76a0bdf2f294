// net.slicer — data arrives in small pieces.
//
// How it works: a stage in the chosen directions of every connection of the
// target link (open and new) cuts each chunk of data into slices of `size`
// bytes, each +/- up to `size_variation` bytes (drawn uniformly, from the
// seeded stream of the connection), and lets the slices leave `delay` apart.
// The proxy writes each slice separately with Nagle's algorithm off, so the
// receiver gets short reads: protocol parsers that assume a message arrives
// in one read, or time out between the pieces of one, are found out. Bytes
// keep their order; closes and resets follow the last slice.
//
// How it is undone: the stage is removed; slices it still held leave at once,
// in order, and later data is passed through whole. No connection is closed
// and no byte is lost or reordered.
#include <algorithm>
#include <random>

#include "fault_injectors/link_injector.hpp"
#include "fault_injectors/net_faults.hpp"

namespace faultline {

namespace {

class SlicerStage final : public proxy::Stage {
 public:
  SlicerStage(const SlicerParams& p, std::uint64_t seed) : p_(p), rng_(seed) {}

  void push(proxy::Item item, TimePoint arrival, proxy::StageOutput& out) override {
    next_ = std::max(next_, arrival);
    if (item.kind != proxy::Item::Kind::data) {
      proxy::emit(std::move(item), next_, out);
      return;
    }
    const auto& bytes = item.bytes;
    std::uniform_int_distribution<std::int64_t> variation(-p_.size_variation, p_.size_variation);
    for (std::size_t at = 0; at < bytes.size();) {
      const auto want = static_cast<std::size_t>(std::max<std::int64_t>(1, p_.size + variation(rng_)));
      const std::size_t len = std::min(want, bytes.size() - at);
      proxy::Item slice;
      slice.bytes.assign(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                         bytes.begin() + static_cast<std::ptrdiff_t>(at + len));
      proxy::emit(std::move(slice), next_, out);
      next_ += p_.delay;
      at += len;
    }
  }

 private:
  SlicerParams p_;
  std::mt19937_64 rng_;
  TimePoint next_{};  ///< when the next slice may leave
};

class SlicerFault final : public proxy::LinkFault {
 public:
  explicit SlicerFault(const SlicerParams& p) : p_(p) {}

  proxy::Effect effect(std::mt19937_64& rng) override {
    proxy::Effect e;
    const std::uint64_t up_seed = rng(), down_seed = rng();
    if (p_.direction != NetDirection::downstream) e.upstream = std::make_unique<SlicerStage>(p_, up_seed);
    if (p_.direction != NetDirection::upstream) e.downstream = std::make_unique<SlicerStage>(p_, down_seed);
    return e;
  }

 private:
  SlicerParams p_;
};

}  // namespace

std::shared_ptr<proxy::LinkFault> slicer_fault(const SlicerParams& p) { return std::make_shared<SlicerFault>(p); }

std::unique_ptr<Injector> make_net_slicer(const FaultSpec& spec) {
  const auto& p = std::get<SlicerParams>(spec.params);
  return make_link_injector(spec, slicer_fault(p), p.toxicity);
}

}  // namespace faultline
