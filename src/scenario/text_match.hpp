// Regular expressions on a text: a probe's HTTP body or command output, a
// step's stdout. The regular expressions of a scenario are compiled and searched
// here and nowhere else, so that `validate` accepts exactly what a run can
// search.
#pragma once

#include <optional>
#include <string>

namespace faultline {

/// Why `pattern` is not a valid regular expression, or nullopt when it is.
/// The dialect: Perl/ECMAScript syntax as Boost.Regex reads it; `.` does not
/// match a line break; `^` and `$` also match at line breaks ("^PONG$"
/// matches the output "PONG\n"), as users of grep expect.
std::optional<std::string> regex_syntax_error(const std::string& pattern);

/// nullopt when `pattern` is found somewhere in `text` (searched, not
/// anchored); otherwise why not, naming the text as `what`: "stdout does not
/// match /x/", an invalid pattern, or a search that would take too long for
/// this text (a bounded failure, never a crash or a hang: Boost.Regex
/// matches without recursion and gives up past a bound on its work, where
/// std::regex overflows the stack on "a.*b" against 30 KB).
std::optional<std::string> regex_mismatch(const std::string& what, const std::string& text,
                                          const std::string& pattern);

}  // namespace faultline
