#include "procfs.hpp"

#include <fstream>
#include <sstream>
#include <string>

namespace faultline {

std::optional<char> process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  // The command name is in parentheses and may itself contain ") ", so the
  // state is the first field after the *last* closing parenthesis.
  const auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return std::nullopt;
  return line[close + 2];
}

}  // namespace faultline
