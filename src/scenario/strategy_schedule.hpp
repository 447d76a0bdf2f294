// The order of a strategy run's iterations (issue 17). Every iteration of
// the scenario runs once per strategy, in blocks: block k holds the k-th
// iteration of every strategy, in an order shuffled from the run's seed.
// So a drift of the machine or of the system (a cache warming, a disk
// filling, another tenant's load) falls on every strategy alike instead of
// on whichever ran last, and no strategy always follows the same one. Each
// iteration starts from steady state (the runner's gate) whatever ran
// before it. A pure function of the seed: `plan` prints exactly the order
// `run` follows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace faultline {

/// The strategy index of each of the run's iterations, in order: `blocks`
/// blocks of `strategies` entries, each block a permutation of 0..strategies-1
/// drawn from `seed` (a Fisher-Yates shuffle on mix_seed, the same on every
/// platform). Empty when `strategies` is 0.
std::vector<std::size_t> strategy_schedule(std::size_t strategies, int blocks, std::uint64_t seed);

/// The strategy name of each of the run's iterations of `s` (its
/// `iterations` blocks of its strategies); empty without strategies.
std::vector<std::string> strategy_order(const Scenario& s, std::uint64_t seed);

}  // namespace faultline
