// Recovery from TOML syntax errors (scenario_parser_recover.hpp): blank the
// line toml++ names and try again. A line is blanked by replacing each of its
// characters with a space, so the lines and columns of the rest stay exact.
#include "scenario/scenario_parser_recover.hpp"

#include <fmt/format.h>

namespace faultline::parse {

namespace {

/// Offsets of the start of each line (line n starts at starts[n - 1]).
std::vector<std::size_t> line_starts(const std::string& text) {
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts.push_back(i + 1);
  return starts;
}

std::string_view line_of(const std::string& text, const std::vector<std::size_t>& starts, int line) {
  const std::size_t b = starts[static_cast<std::size_t>(line - 1)];
  const std::size_t e = text.find('\n', b);
  return std::string_view(text).substr(b, (e == std::string::npos ? text.size() : e) - b);
}

bool is_header(std::string_view line) {
  const auto first = line.find_first_not_of(" \t");
  return first != std::string_view::npos && line[first] == '[';
}

void blank(std::string& text, const std::vector<std::size_t>& starts, int line) {
  for (std::size_t i = starts[static_cast<std::size_t>(line - 1)]; i < text.size() && text[i] != '\n'; ++i)
    if (text[i] != '\r' || i + 1 == text.size() || text[i + 1] != '\n') text[i] = ' ';  // a line's own CR stays
}

}  // namespace

Recovered parse_recovering(std::string_view text, const std::string& file, std::size_t max_errors) {
  Recovered out;
  std::string work(text);
  const auto starts = line_starts(work);
  const int lines = static_cast<int>(starts.size());
  std::set<int> blanked;
  for (;;) {
    try {
      out.root = toml::parse(work, std::string_view(file));
      return out;
    } catch (const toml::parse_error& e) {
      const auto& b = e.source().begin;
      const int line = static_cast<int>(b.line);
      // An error on a line already blanked is what was reported for it
      // already (an unterminated string or array reaching past it): said once.
      if (!blanked.count(line))
        out.syntax.push_back({{file, line, static_cast<int>(b.column)},
                              fmt::format("TOML syntax error: {}", e.description()),
                              {}});
      if (out.syntax.size() >= max_errors || line < 1 || line > lines || blanked.count(line)) {
        out.root.reset();
        return out;
      }
      // The table the line is in (its header's line), or the whole table when it is the header.
      int owner = 1;
      for (int l = line; l >= 1; --l)
        if (is_header(line_of(work, starts, l))) {
          owner = l;
          break;
        }
      int last = line;
      if (owner == line)
        while (last + 1 <= lines && !is_header(line_of(work, starts, last + 1))) ++last;
      for (int l = line; l <= last; ++l) {
        blank(work, starts, l);
        blanked.insert(l);
      }
      if (owner != line) out.damaged_tables.insert(owner);
    }
  }
}

}  // namespace faultline::parse
