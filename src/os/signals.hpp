// Signal names as users write them and as reports show them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace faultline {

/// "SIGKILL" for 9; "signal 42" for a number without a name.
std::string signal_name(int sig);

/// The number of "SIGTERM", "TERM", "sigterm" or "15"; nullopt when unknown.
std::optional<int> parse_signal(std::string_view text);

}  // namespace faultline
