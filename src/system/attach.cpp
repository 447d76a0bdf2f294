// Finding an attached service on its host (see attach.hpp).
#include "system/attach.hpp"

#include <fmt/format.h>

#include <sstream>

#include "os/remote_shell.hpp"
#include "scenario/text_match.hpp"

namespace faultline {

namespace {

/// Prints "PID STARTTIME" of $p when it lives (stat's fields after the
/// command name, whose parentheses may hold spaces).
constexpr const char* kPrintPid =
    "[ -n \"$p\" ] && [ \"$p\" -gt 0 ] 2>/dev/null && s=$(cat /proc/$p/stat 2>/dev/null) && s=${s##*) } && "
    "set -- $s && shift 19 && echo \"$p $1\"\n";

}  // namespace

std::string find_script(const AttachSpec& a) {
  switch (a.kind) {
    case AttachKind::systemd:
      return "p=$(systemctl show -p MainPID --value " + shell_quote(a.value) + ")\n" + kPrintPid;
    case AttachKind::pidfile:
      return "p=$(cat " + shell_quote(a.value) + " 2>/dev/null | head -n 1 | tr -dc 0-9)\n" + kPrintPid;
    case AttachKind::match:
      // Every process but this script and its own children; stat is read
      // by the shell itself (one fork per process fewer on a busy host).
      return "me=$$\n"
             "for d in /proc/[0-9]*; do\n"
             "  p=${d#/proc/}; [ \"$p\" = \"$me\" ] && continue\n"
             "  { read -r s < $d/stat; } 2>/dev/null || continue; s=${s##*) }; set -- $s\n"
             "  [ \"$2\" = \"$me\" ] && continue\n"
             "  shift 19; st=$1\n"
             "  c=$(tr '\\000' ' ' < $d/cmdline 2>/dev/null) || continue; [ -n \"$c\" ] || continue\n"
             "  echo \"$p $st $c\"\n"
             "done\n";
    case AttachKind::none:
      break;
  }
  return "exit 1\n";
}

std::optional<AttachedProcess> parse_found(const AttachSpec& a, const std::string& output, std::string& why) {
  std::istringstream in(output);
  std::string line;
  std::vector<std::pair<AttachedProcess, std::string>> found;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    AttachedProcess p;
    if (!(l >> p.pid >> p.start_time) || p.pid <= 0) continue;
    std::string cmdline;
    std::getline(l >> std::ws, cmdline);
    while (!cmdline.empty() && cmdline.back() == ' ') cmdline.pop_back();
    if (a.kind == AttachKind::match && regex_mismatch("command line", cmdline, a.value)) continue;
    found.emplace_back(p, cmdline);
  }
  if (found.size() == 1) return found.front().first;
  if (found.empty()) {
    why = "no process found by " + describe_attach(a);
  } else {
    why = fmt::format("{} processes found by {} (it must name one):", found.size(), describe_attach(a));
    for (std::size_t i = 0; i < found.size() && i < 5; ++i)
      why += fmt::format(" [{}] {}", found[i].first.pid, found[i].second);
  }
  return std::nullopt;
}

std::string supervisor_restart_script(const AttachSpec& a) {
  return a.kind == AttachKind::systemd ? "systemctl restart " + shell_quote(a.value) + "\n" : std::string();
}

std::string describe_attach(const AttachSpec& a) {
  switch (a.kind) {
    case AttachKind::systemd: return "systemd unit " + a.value;
    case AttachKind::pidfile: return "pid file " + a.value;
    case AttachKind::match: return "command line matching /" + a.value + "/";
    case AttachKind::none: break;
  }
  return "nothing";
}

}  // namespace faultline
