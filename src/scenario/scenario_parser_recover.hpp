// Reading past TOML syntax errors (issue 21, "every problem at once").
// toml++ stops at the first syntax error, so the parser blanks the line it
// names (a table header: the header and the table's lines up to the next
// header) and parses again, up to a bound; each round finds the next syntax
// error. What is left is read as usual, so that the semantic problems and
// the host's missing capabilities of the rest of the file are reported in
// the same pass. Blanking keeps every other line and column where it was.
// Problems a blanked line causes (a key now missing from its table) are not
// the user's: the parser drops those reported at the table that lost a line.
// Included only by scenario_parser*.cpp.
#pragma once

#include "scenario/toml_include.hpp"

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/diagnostics.hpp"

namespace faultline::parse {

/// A TOML document read past its syntax errors.
struct Recovered {
  std::optional<toml::table> root;  ///< nullopt when recovery gave up (then only `syntax` counts)
  std::vector<Diagnostic> syntax;   ///< one per syntax error found, in the order found
  /// The lines of the tables that lost a line (their header's line; 1 for the top level).
  std::set<int> damaged_tables;
};

/// Parses `text`, recovering from up to `max_errors` syntax errors.
Recovered parse_recovering(std::string_view text, const std::string& file, std::size_t max_errors = 20);

}  // namespace faultline::parse
