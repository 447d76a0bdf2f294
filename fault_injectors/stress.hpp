// stress's parameters, for its tests (the kind is in stress.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace faultline {

/// A stress fault's keys.
struct StressParams {
  std::int64_t cpu = 0;                 ///< CPU workers
  std::int64_t vm = 0;                  ///< memory workers
  std::int64_t vm_bytes = 64LL << 20;   ///< bytes each memory worker keeps touching
  std::int64_t io = 0;                  ///< disk workers (write and read files in the run directory)
  bool inside = false;                  ///< in the target's cgroup (its limits apply) rather than beside it
  std::vector<std::pair<std::string, std::string>> bad;  ///< (key, why) of values that did not parse
};

/// stress-ng's command line for `p`, its files under `temp`, ending by
/// itself after `timeout_s` seconds (a net under every other way it ends).
std::vector<std::string> stress_argv(const StressParams& p, const std::string& temp, long long timeout_s);

}  // namespace faultline
