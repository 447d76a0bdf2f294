// TOML -> typed Scenario. Only the parser's own files (scenario_parser*.cpp)
// include toml++; a fault kind reads its keys through fault_kind.hpp's ParamReader.
// Parsing collects every problem it can find (syntax, wrong type, unknown key
// with a did-you-mean, bad duration, out-of-range number) before returning;
// semantic checks across tables live in validate.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/diagnostics.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// The result of parsing one file: a scenario when no error was found, and
/// every diagnostic either way.
struct ParseResult {
  std::optional<Scenario> scenario;
  std::vector<Diagnostic> diagnostics;
};

/// Parses TOML text; `file` names it in diagnostics.
ParseResult parse_scenario(std::string_view text, const std::string& file);

/// Reads and parses a file. A missing or unreadable file is a diagnostic.
ParseResult load_scenario(const std::string& path);

}  // namespace faultline
