// The blocked, seeded order of a strategy run (strategy_schedule.hpp). The
// shuffle is written out (Fisher-Yates over mix_seed) rather than taken from
// std::shuffle, whose algorithm the standard leaves to each library: the
// same seed must give the same order wherever the run is repeated.
#include "scenario/strategy_schedule.hpp"

#include <numeric>
#include <utility>

#include "scenario/schedule.hpp"

namespace faultline {

namespace {

/// Salt that keeps the strategy order's draws apart from the fault windows'.
constexpr std::uint64_t kStrategySalt = 0x5374726174656779ULL;  // "Strategy"

}  // namespace

std::vector<std::size_t> strategy_schedule(std::size_t strategies, int blocks, std::uint64_t seed) {
  std::vector<std::size_t> out;
  if (strategies == 0 || blocks <= 0) return out;
  out.reserve(strategies * static_cast<std::size_t>(blocks));
  for (int b = 0; b < blocks; ++b) {
    std::vector<std::size_t> block(strategies);
    std::iota(block.begin(), block.end(), std::size_t{0});
    for (std::size_t i = strategies - 1; i > 0; --i) {
      const std::uint64_t r = mix_seed(seed ^ kStrategySalt, static_cast<std::uint64_t>(b), i);
      std::swap(block[i], block[r % (i + 1)]);
    }
    out.insert(out.end(), block.begin(), block.end());
  }
  return out;
}

std::vector<std::string> strategy_order(const Scenario& s, std::uint64_t seed) {
  std::vector<std::string> out;
  for (std::size_t i : strategy_schedule(s.strategies.size(), s.iterations, seed)) out.push_back(s.strategies[i].name);
  return out;
}

}  // namespace faultline
