#include "os/procfs.hpp"

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

namespace faultline {

std::optional<unsigned long long> process_start_time(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  // After the command name: state is field 3; starttime is field 22.
  for (int i = 3; i < 22; ++i)
    if (!(rest >> field)) return std::nullopt;
  unsigned long long start = 0;
  if (!(rest >> start)) return std::nullopt;
  return start;
}

bool same_process(pid_t pid, unsigned long long start_time) {
  if (pid <= 0) return false;
  auto s = process_start_time(pid);
  if (!s || *s != start_time) return false;
  auto state = process_state(pid);
  return state && *state != 'Z';
}

}  // namespace faultline
