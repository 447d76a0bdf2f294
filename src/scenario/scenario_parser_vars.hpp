// [vars]: named strings a scenario declares once and uses as {var.NAME} in
// any string value (issue 21). They are expanded in the TOML tree itself,
// before any table is read, so that every reader, check and placeholder
// after it sees the text as if the user had written it out; the nodes keep
// their source positions, so every later diagnostic still points at the
// user's line and column. Also here: 'env' on the tables that run commands.
// Included only by scenario_parser*.cpp.
#pragma once

#include "scenario/toml_include.hpp"

#include <map>
#include <string>

#include "scenario/scenario_parser_values.hpp"

namespace faultline::parse {

/// Reads the top-level [vars] of `root` (a var may use other vars; a cycle is
/// an error at each var on it) and replaces every {var.NAME} in every string
/// value elsewhere in `root` by the var's value. An unknown var is reported at
/// its own line and column (the string's when it holds escapes or line breaks)
/// and left as written. Everything else, "{{"/"}}" and other placeholders
/// included, is left byte for byte.
void expand_vars(toml::table& root, ValueReader& reader);

/// The table's 'env' (a table of strings, names that can be set); empty
/// when absent or wrong, after reporting what is wrong.
std::map<std::string, std::string> read_env(ValueReader& reader, const Tbl& tb);

/// A table's 'env' on its command: env(1) and NAME=VALUE words before the
/// argv, so that it holds wherever the argv runs (here, in a namespace, on a
/// [[host]], in a revert the ledger keeps) and its values are substituted
/// with the argv's placeholders like the rest of the argv.
void with_env(Command& c, const std::map<std::string, std::string>& env);

}  // namespace faultline::parse
