// resource.memory's parameters, for its tests (the kind is in resource_memory.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace faultline {

/// A resource.memory's keys.
struct ResourceMemoryParams {
  std::int64_t limit = 0;            ///< bytes
  std::optional<std::int64_t> high;  ///< bytes; cgroup v2 only
  std::vector<std::pair<std::string, std::string>> bad;  ///< (key, why) of values that did not parse
};

}  // namespace faultline
