// The slicer kind's parameters and its LinkFault, for tests.
#pragma once

#include <cstdint>
#include <memory>

#include "fault_injectors/proxy/proxy_stage.hpp"
#include "scenario/net_params.hpp"

namespace faultline {

/// Data is cut into small slices sent `delay` apart.
struct SlicerParams {
  std::int64_t size = 64;           ///< mean slice size in bytes, >= 1
  std::int64_t size_variation = 0;  ///< slices are size +/- this, >= 0 and < size
  Nanos delay = 0ns;                ///< between two slices
  NetDirection direction = NetDirection::both;
  double toxicity = 1.0;
};

/// What the slicer does to a link's connections: data leaves in slices of size +/- size_variation bytes, `delay` apart.
std::shared_ptr<proxy::LinkFault> slicer_fault(const SlicerParams& p);

}  // namespace faultline
