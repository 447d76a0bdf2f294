// net.corrupt — bits flip in the byte stream, as on a link whose checksums
// let damage through.
//
// How it works: a stage in the chosen directions of every connection of the
// target link (open and new) flips one bit in each corrupted byte and lets
// the data through at once, with its length and order unchanged. Which bytes
// are corrupted is a function of the connection's seed and the offset in the
// stream alone (counted from where the fault reached the connection), never
// of how the kernel cut the stream into reads: CorruptPositions draws the
// gap to the next corrupted byte from a geometric distribution (the number
// of bytes, or with `per = "chunk"` of `chunk`-byte pieces of the stream,
// that come through whole before the next hit, at `rate`), then for a chunk
// the byte within it, then the bit. So the same seed corrupts the same
// offsets, and a stream costs one draw per corrupted byte and nothing per
// byte that comes through whole. Each corrupted byte differs from the one
// sent in exactly one bit, and the run record counts them per link and
// direction (corrupted_upstream, corrupted_downstream).
//
// With `per = "byte"` each byte is corrupted with probability `rate`
// independently: over n bytes the count is binomial(n, rate). With
// `per = "chunk"` each piece of `chunk` bytes holds one corrupted byte with
// probability `rate`.
//
// How it is undone: the stage is removed; it holds nothing (corruption is
// immediate), so data read from then on passes through unchanged. Bytes it
// corrupted stay corrupted: they were delivered. No connection is closed.
#include "fault_injectors/net_corrupt.hpp"

#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "fault_injectors/link_kind.hpp"

namespace faultline {

namespace {

constexpr std::uint64_t kNone = std::numeric_limits<std::uint64_t>::max();
/// Beyond this a gap is as good as none (2^62 bytes).
constexpr double kFar = 4.6e18;
constexpr std::int64_t kChunkMax = std::int64_t{1} << 30;

class CorruptStage final : public proxy::Stage {
 public:
  CorruptStage(const CorruptParams& p, std::uint64_t seed) : positions_(p, seed) {}

  void push(proxy::Item item, TimePoint arrival, proxy::StageOutput& out) override {
    if (item.kind == proxy::Item::Kind::data) {
      const std::uint64_t end = offset_ + item.bytes.size();
      while (positions_.next() < end) {
        char& b = item.bytes[static_cast<std::size_t>(positions_.next() - offset_)];
        b = static_cast<char>(static_cast<unsigned char>(b) ^ (1u << positions_.bit()));
        ++out.corrupted;
        positions_.advance();
      }
      offset_ = end;
    }
    proxy::emit(std::move(item), arrival, out);
  }

 private:
  CorruptPositions positions_;
  std::uint64_t offset_ = 0;  ///< stream offset of the next byte to arrive
};

FaultParams read(ParamReader& r) {
  CorruptParams p;
  if (r.require("rate")) assign(p.rate, r.probability("rate"));
  if (auto per = r.choice("per", {"byte", "chunk"})) p.per = *per == "chunk" ? CorruptParams::Per::chunk
                                                                             : CorruptParams::Per::byte;
  assign(p.chunk, r.integer("chunk", 1, kChunkMax));
  assign(p.direction, read_direction(r));
  assign(p.toxicity, r.probability("toxicity"));
  return p;
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<CorruptParams>();
  if (!p) return {};
  const std::string per =
      p->per == CorruptParams::Per::byte ? "byte" : fmt::format("{}-byte chunk", p->chunk);
  return fmt::format("flip a bit in {:g} of every {}, {}{}{}", p->rate, per, direction_text(p->direction),
                     toxicity_text(p->toxicity), on_link(f));
}

}  // namespace

CorruptPositions::CorruptPositions(const CorruptParams& p, std::uint64_t seed)
    : rate_(p.rate),
      per_chunk_(p.per == CorruptParams::Per::chunk),
      chunk_(static_cast<std::uint64_t>(std::max<std::int64_t>(1, p.chunk))),
      rng_(seed) {
  draw(0);
}

void CorruptPositions::advance() {
  if (next_ != kNone) draw(unit_ + 1);
}

std::uint64_t CorruptPositions::skip() {
  if (rate_ >= 1) return 0;
  if (rate_ <= 0) return kNone;
  // Inversion: u uniform in (0, 1]; floor(ln u / ln(1 - rate)) failures
  // before the first success. Written out rather than taken from <random>,
  // whose distributions may differ between standard libraries: a seed must
  // name the same offsets wherever the run is replayed.
  const double u = (static_cast<double>(rng_() >> 11) + 1.0) * 0x1.0p-53;
  const double k = std::floor(std::log(u) / std::log1p(-rate_));
  return k >= kFar ? kNone : static_cast<std::uint64_t>(k);
}

void CorruptPositions::draw(std::uint64_t first_unit) {
  const std::uint64_t gap = skip();
  const double unit = static_cast<double>(first_unit) + static_cast<double>(gap);
  if (gap == kNone || unit * static_cast<double>(per_chunk_ ? chunk_ : 1) >= kFar) {
    next_ = kNone;
    return;
  }
  unit_ = first_unit + gap;
  next_ = per_chunk_ ? unit_ * chunk_ + rng_() % chunk_ : unit_;
  bit_ = static_cast<unsigned>(rng_() % 8);
}

std::shared_ptr<proxy::LinkFault> corrupt_fault(const CorruptParams& p) {
  return std::make_shared<DirectionalFault>(p.direction,
                                            [p](std::uint64_t seed) { return std::make_unique<CorruptStage>(p, seed); });
}

const InjectorKind& net_corrupt_kind() {
  static const InjectorKind kind = link_kind<CorruptParams, &corrupt_fault, &read, &describe>(
      {"net.corrupt",
       "flip bits in the data of the target link at a rate, seeded",
       true,
       {
           {"rate", "probability", "", "chance that a byte (or a chunk, with per = \"chunk\") is corrupted; 0..1", true},
           {"per", "string", "byte", "\"byte\" or \"chunk\": what rate applies to", false},
           {"chunk", "integer", "4096", "with per = \"chunk\": the stream is cut into pieces of this many bytes, each "
                                        "holding at most one corrupted byte; 1..2^30", false},
           direction_key(),
           toxicity_key(),
       }});
  return kind;
}

}  // namespace faultline
