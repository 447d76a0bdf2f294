#include "scenario/scenario.hpp"

#include <algorithm>

namespace faultline {

namespace {

/// True when `word` can be written in a shell line without quoting. Braces
/// are kept bare for placeholders such as {port.redis}, unless the word could
/// be a brace expansion ("{a,b}", "{1..3}").
bool shell_safe(const std::string& word) {
  if (word.empty()) return false;
  const bool expansion = word.find(',') != std::string::npos || word.find("..") != std::string::npos;
  return std::all_of(word.begin(), word.end(), [&](char c) {
    if (c == '{' || c == '}') return !expansion;
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_-+=@%:,./").find(c) != std::string_view::npos;
  });
}

/// `word` in single quotes, each ' written as '\''.
std::string shell_quote(const std::string& word) {
  if (shell_safe(word)) return word;
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

}  // namespace

std::string Command::display() const {
  if (shell && argv.size() >= 3) {
    // A shell line, after env(1)'s NAME=VALUE words when its table has an 'env'.
    std::string out;
    for (std::size_t i = 0; i + 3 < argv.size(); ++i) out += shell_quote(argv[i]) + ' ';
    return out + argv.back();
  }
  std::string out;
  for (const auto& word : argv) {
    if (!out.empty()) out += ' ';
    out += shell_quote(word);
  }
  return out;
}

}  // namespace faultline
