// Parsing that also returns what could be read despite errors (issue 21,
// "every problem at once"): the host's capabilities are checked on it
// (os/scenario_check.hpp), so that a missing one is reported in the same pass
// as the parse and semantic errors.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "scenario/scenario_parser.hpp"

namespace faultline {

/// A parse and, with errors, the scenario as far as it could be read.
struct PartialParse {
  ParseResult result;
  /// With errors: what could be read all the same (past syntax errors too),
  /// for the checks that need no valid scenario; nullopt when nothing could be read.
  std::optional<Scenario> read_so_far;
};

/// parse_scenario, keeping what could be read.
PartialParse parse_scenario_partial(std::string_view text, const std::string& file);

/// load_scenario, keeping what could be read.
PartialParse load_scenario_partial(const std::string& path);

}  // namespace faultline
