// The keys of a dynamic target's table (`target = { select = ..., among =
// [...] }`, or net.partition's `isolate = { ... }`), in the key catalog's
// form, so that the parser, `faultline list`, the schema and
// scenarios/README.md ("Dynamic targets") share one table.
#pragma once

#include <vector>

#include "scenario/catalog.hpp"

namespace faultline {

/// The keys of a dynamic target's table.
const std::vector<KeySpec>& target_select_keys();

}  // namespace faultline
