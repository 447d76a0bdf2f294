// The corrupt kind's parameters, its LinkFault and its position generator, for tests.
#pragma once

#include <cstdint>
#include <memory>
#include <random>

#include "fault_injectors/proxy/proxy_stage.hpp"
#include "scenario/net_params.hpp"

namespace faultline {

/// Bits of the byte stream are flipped at a rate.
struct CorruptParams {
  enum class Per { byte, chunk };
  double rate = 0;              ///< chance per byte (per = byte) or per chunk of the stream (per = chunk), 0..1
  Per per = Per::byte;
  std::int64_t chunk = 4096;    ///< with per = chunk: the stream is cut into pieces of this many bytes, >= 1
  NetDirection direction = NetDirection::both;
  double toxicity = 1.0;
};

/// The offsets of one direction's corrupted bytes, in increasing order,
/// drawn from `seed` over the stream (counted from where the fault reached
/// the connection): a function of the seed and the offset alone, never of
/// how the stream was cut into reads.
class CorruptPositions {
 public:
  CorruptPositions(const CorruptParams& p, std::uint64_t seed);
  /// The offset of the next byte to corrupt (UINT64_MAX: none).
  std::uint64_t next() const { return next_; }
  /// The bit (0..7) to flip in it.
  unsigned bit() const { return bit_; }
  /// Moves on to the following corrupted byte.
  void advance();

 private:
  /// How many trials fail before one succeeds (geometric, rate_): one draw per corrupted byte or chunk.
  std::uint64_t skip();
  void draw(std::uint64_t first_unit);

  double rate_;
  bool per_chunk_;
  std::uint64_t chunk_;
  std::mt19937_64 rng_;
  std::uint64_t unit_ = 0;  ///< the byte or chunk index of next_
  std::uint64_t next_ = 0;
  unsigned bit_ = 0;
};

/// What net.corrupt does to a link's connections: in each chosen direction,
/// bits flip at the offsets CorruptPositions draws; the bytes corrupted are counted.
std::shared_ptr<proxy::LinkFault> corrupt_fault(const CorruptParams& p);

}  // namespace faultline
