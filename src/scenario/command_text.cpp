// short_command_text (command_text.hpp).
#include "scenario/command_text.hpp"

#include <fmt/format.h>

namespace faultline {

std::string short_command_text(const Command& c, std::size_t max_chars) {
  const std::string full = c.display();
  // Leading blank lines (a script written as '''\n...''') are not its first line.
  std::size_t begin = full.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return full;
  std::size_t end = full.find('\n', begin);
  std::string line = full.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  std::size_t more = 0;
  if (end != std::string::npos) {
    const std::string rest = full.substr(end + 1);
    std::size_t at = 0;
    while (at < rest.size()) {
      std::size_t nl = rest.find('\n', at);
      if (rest.substr(at, (nl == std::string::npos ? rest.size() : nl) - at).find_first_not_of(" \t\r") !=
          std::string::npos)
        ++more;
      if (nl == std::string::npos) break;
      at = nl + 1;
    }
  }
  if (line.size() > max_chars) line = line.substr(0, max_chars) + "...";
  return more == 0 ? line : fmt::format("{} ... (+{} more line{})", line, more, more == 1 ? "" : "s");
}

}  // namespace faultline
