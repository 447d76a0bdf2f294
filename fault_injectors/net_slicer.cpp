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
#include "fault_injectors/net_slicer.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <limits>
#include <random>

#include "fault_injectors/link_kind.hpp"

namespace faultline {

namespace {

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();

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

FaultParams read(ParamReader& r) {
  SlicerParams p;
  assign(p.size, r.integer("size", 1, kIntMax));
  assign(p.size_variation, r.integer("size_variation", 0, kIntMax));
  assign(p.delay, r.duration("delay", DurationMin::zero));
  assign(p.direction, read_direction(r));
  assign(p.toxicity, r.probability("toxicity"));
  return p;
}

void check(FaultCheck& c) {
  const auto* p = c.fault().params.get_if<SlicerParams>();
  if (p && p->size_variation >= p->size)
    c.error(c.at("size_variation"),
            fmt::format("'size_variation' ({}) must be less than 'size' ({})", p->size_variation, p->size),
            "a slice is never empty");
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<SlicerParams>();
  if (!p) return {};
  return fmt::format("slice data into {}{} byte pieces {} apart, {}{}{}", p->size,
                     p->size_variation ? fmt::format(" +/- {}", p->size_variation) : std::string(),
                     format_duration(p->delay), direction_text(p->direction), toxicity_text(p->toxicity), on_link(f));
}

}  // namespace

std::shared_ptr<proxy::LinkFault> slicer_fault(const SlicerParams& p) {
  return std::make_shared<DirectionalFault>(p.direction,
                                            [p](std::uint64_t seed) { return std::make_unique<SlicerStage>(p, seed); });
}

const InjectorKind& net_slicer_kind() {
  static const InjectorKind kind = link_kind<SlicerParams, &slicer_fault, &read, &describe>(
      {"net.slicer",
       "cut the data of the target link into small slices sent apart",
       true,
       {
           {"size", "integer", "64", "mean slice size in bytes; >= 1", false},
           {"size_variation", "integer", "0", "each slice is size +/- up to this many bytes; >= 0 and < size", false},
           {"delay", "duration", "0s", "time between two slices; >= 0", false},
           direction_key(),
           toxicity_key(),
       }},
      &check);
  return kind;
}

}  // namespace faultline
