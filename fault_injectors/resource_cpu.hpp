// resource.cpu's parameters, for its tests (the kind is in resource_cpu.cpp).
#pragma once

#include <string>

namespace faultline {

/// A resource.cpu's keys.
struct ResourceCpuParams {
  std::string share;  ///< as written, "10%"
  double cores = 0;   ///< parsed: 0.1
  std::string bad;    ///< why `share` did not parse ("" = it did)
};

}  // namespace faultline
