// disk.full's parameters, for its tests (the injector and the descriptor
// are in disk_full.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace faultline {

/// The parameters of one disk.full fault (scenarios/README.md).
struct DiskFullParams {
  std::int64_t size = 0;             ///< the tmpfs's size, bytes
  double percent = 100;              ///< level as a percentage of the size used ...
  std::optional<std::int64_t> free;  ///< ... or as bytes left free
  std::string level = "100%";        ///< as written
  /// Values that did not parse: (key, message), reported by the kind's check.
  std::vector<std::pair<std::string, std::string>> bad;
};

}  // namespace faultline
