// file.io's parameters, for its tests (the injector and the descriptor are
// in file_io.cpp; the filesystem in src/os/iofs.hpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "os/iofs.hpp"

namespace faultline {

/// The parameters of one file.io fault (scenarios/README.md).
struct FileIoParams {
  IoRule rule;                 ///< path, ops, error, delay, probability (the seed is the run's)
  std::string ops = "read,write,fsync";  ///< as written
  std::string error_name;      ///< "EIO", as written; "" = none
  /// Values that did not parse: (key, message), reported by the kind's check.
  std::vector<std::pair<std::string, std::string>> bad;
};

/// The errno names file.io accepts, and their values.
const std::vector<std::pair<std::string, int>>& file_io_errnos();

}  // namespace faultline
