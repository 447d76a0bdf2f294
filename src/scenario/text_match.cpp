#include "scenario/text_match.hpp"

#include <boost/regex.hpp>
#include <fmt/format.h>

namespace faultline {

namespace {

/// Perl/ECMAScript syntax; `.` stops at line breaks (as in ECMAScript);
/// `^` and `$` match at line breaks too (Boost's Perl default).
constexpr auto kSyntax = boost::regex::perl | boost::regex::no_mod_s;

/// Boost's message without the copy of the pattern it appends.
std::string short_message(const boost::regex_error& e) {
  std::string m = e.what();
  if (auto cut = m.find("  The error occurred"); cut != std::string::npos) m.erase(cut);
  while (!m.empty() && (m.back() == '.' || m.back() == ' ')) m.pop_back();
  return m;
}

}  // namespace

std::optional<std::string> regex_syntax_error(const std::string& pattern) {
  try {
    boost::regex re(pattern, kSyntax);
    return std::nullopt;
  } catch (const boost::regex_error& e) {
    return short_message(e);
  }
}

std::optional<std::string> regex_mismatch(const std::string& what, const std::string& text,
                                          const std::string& pattern) {
  boost::regex re;
  try {
    re.assign(pattern, kSyntax);
  } catch (const boost::regex_error& e) {
    return fmt::format("invalid regex /{}/: {}", pattern, short_message(e));
  }
  try {
    if (boost::regex_search(text, re)) return std::nullopt;
  } catch (const std::runtime_error&) {
    // Boost.Regex bounds the work (and the memory) of one search and throws
    // past it: an answer in bounded time instead of a hang or a crash.
    return fmt::format("/{}/ is too costly to search in {} bytes of {}: write a pattern that does not backtrack "
                       "(a literal prefix, no nested repetition)",
                       pattern, text.size(), what);
  }
  return fmt::format("{} does not match /{}/", what, pattern);
}

}  // namespace faultline
