// resource.io's parameters, for its tests (the kind is in resource_io.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace faultline {

/// A resource.io's keys.
struct ResourceIoParams {
  std::optional<std::int64_t> read_bps, write_bps;    ///< bytes per second
  std::optional<std::int64_t> read_iops, write_iops;  ///< operations per second
  std::string path;  ///< as written; "" = the service's directory
  std::vector<std::pair<std::string, std::string>> bad;  ///< (key, why) of values that did not parse
};

}  // namespace faultline
