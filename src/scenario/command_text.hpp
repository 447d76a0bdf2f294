// A command in one line for the console and `plan` (issue 21): a long
// script is shown by its first line and how many more it has, so that a
// multi-line `apply = '''...'''` neither floods the log nor hides where it
// starts. Placeholders are substituted before (the runner shows the
// resolved scenario), so the line is the command as it will run.
#pragma once

#include <cstddef>
#include <string>

#include "scenario/scenario.hpp"

namespace faultline {

/// `c.display()` up to its first line break, then " ... (+N more lines)";
/// cut at `max_chars` (then "...") when the first line alone is longer.
std::string short_command_text(const Command& c, std::size_t max_chars = 160);

}  // namespace faultline
