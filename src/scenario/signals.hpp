// Signal names as users write them (stop_signal, process.kill's signal) and
// as plans and reports show them: the one table of names and numbers. It is
// in the scenario layer because the scenario parser is its first reader.
// The process layer (os/) includes it from here too.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

/// "SIGKILL" for 9; "signal 42" for a number without a name.
std::string signal_name(int sig);

/// The number of "SIGTERM", "TERM", "sigterm" or "15" (1..64); 0 when unknown.
int signal_number(std::string_view text);

/// The number of "SIGTERM", "TERM", "sigterm" or "15"; nullopt when unknown.
std::optional<int> parse_signal(std::string_view text);

/// Every name of the table with its "SIG" prefix, in table order (for
/// suggestions when a name is misspelt).
std::vector<std::string> signal_names();

}  // namespace faultline
