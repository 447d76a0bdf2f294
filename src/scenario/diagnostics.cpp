#include "scenario/diagnostics.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace faultline {

std::string format_diagnostic(const Diagnostic& d) {
  std::string where = d.pos.file.empty() ? "<scenario>" : d.pos.file;
  if (d.pos.line > 0) where += fmt::format(":{}:{}", d.pos.line, std::max(d.pos.column, 1));
  std::string out = fmt::format("{}: error: {}", where, d.message);
  if (!d.hint.empty()) out += fmt::format(" ({})", d.hint);
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

namespace {

/// Like edit_distance, but swapping two adjacent characters counts as one
/// edit (optimal string alignment): the most common typo ("prot" for "port")
/// would otherwise cost two and go unsuggested in short words. Keeps the
/// three rows the recurrence needs, so a long word (a mistyped key can be
/// kilobytes) costs three allocations, not one per character.
std::size_t typo_distance(std::string_view a, std::string_view b) {
  const std::size_t n = b.size() + 1;
  std::vector<std::size_t> before(n), prev(n), cur(n);  // rows i-2, i-1, i
  for (std::size_t j = 0; j < n; ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j < n; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], before[j - 2] + 1);
    }
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    // The distance is at least the difference in length: a candidate that
    // cannot beat the best so far is not computed.
    const std::size_t at_least = word.size() > c.size() ? word.size() - c.size() : c.size() - word.size();
    if (best_d != std::string::npos && at_least >= best_d) continue;
    std::size_t d = typo_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  // A plausible typo: at most a third of the word changed (and at least one edit allowed).
  std::size_t allowed = std::max<std::size_t>(1, std::max(word.size(), best.size()) / 3);
  return best_d <= allowed ? best : std::string();
}

}  // namespace faultline
