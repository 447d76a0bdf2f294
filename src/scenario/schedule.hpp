// The fault timeline of one iteration: which fault is injected when (offset
// from the iteration start) and held how long. Offsets drawn from an `at`
// window come from the run's seed, so the same seed gives the same schedule;
// `plan` prints exactly what `run` will do.
#pragma once

#include <string_view>

#include <cstdint>
#include <optional>
#include <vector>

#include "scenario/scenario.hpp"

namespace faultline {

/// One planned application of a fault.
struct PlannedInjection {
  std::size_t fault = 0;  ///< index into Scenario::faults
  int repetition = 1;     ///< 1-based, up to FaultSpec::repeat
  Nanos offset{0};        ///< from the iteration start
  std::optional<Nanos> hold;  ///< how long it stays applied (reversible kinds with a duration)
};

/// The injections of iteration `iteration` (1-based), in offset order
/// (declaration order among equal offsets).
std::vector<PlannedInjection> schedule_iteration(const Scenario& s, std::uint64_t seed, int iteration);

/// A deterministic 64-bit mix of its inputs (splitmix64), the source of every
/// seeded choice.
std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0);

/// A stable hash of a name (FNV-1a), for mixing a fault's name into its draws' seed.
std::uint64_t name_hash(std::string_view s);

}  // namespace faultline
