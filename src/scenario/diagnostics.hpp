// Errors in a scenario, collected rather than thrown so that one `validate`
// reports every problem at once, each as `file:line:col: message`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace faultline {

/// Where a value came from in a scenario file (1-based line and column;
/// 0 when unknown, e.g. for a key that is missing altogether).
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
};

/// One problem found in a scenario.
struct Diagnostic {
  SourcePos pos;
  std::string message;  ///< what is wrong, one sentence, no trailing period
  std::string hint;     ///< optional suggestion, e.g. "did you mean 'interval'?"
};

/// Renders `file:line:col: error: message (hint)`.
std::string format_diagnostic(const Diagnostic& d);

/// Levenshtein distance, for did-you-mean suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The closest candidate to `word` within a small edit distance, or "" when
/// none is close enough to be a plausible typo.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace faultline
