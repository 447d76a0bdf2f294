// The scenario `faultline init NAME` writes: a small, commented, valid drill
// against a local redis-server that a newcomer can run and then adapt.
#pragma once

#include <string>
#include <string_view>

namespace faultline {

/// A commented starter scenario named `name` that validates.
std::string starter_scenario(std::string_view name);

}  // namespace faultline
