// The one reader of /proc/PID/stat (open/read, no streams: the process
// table is scanned on every group stop) and what is derived from it; and of
// /proc/PID/cmdline. A process may exit between the listing, the open and
// the read (a read of a gone process's file fails with ESRCH, which a
// std::filebuf turns into an exception): here that is "no such process".
#include "os/procfs.hpp"

#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "os/fd.hpp"

namespace faultline {

namespace {

/// The next space-separated field of `rest`, consumed.
std::string_view next_field(std::string_view& rest) {
  const auto begin = rest.find_first_not_of(" \n");
  if (begin == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(begin);
  const auto end = std::min(rest.find_first_of(" \n"), rest.size());
  const std::string_view field = rest.substr(0, end);
  rest.remove_prefix(end);
  return field;
}

template <typename T>
bool parse_number(std::string_view field, T& out) {
  auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), out);
  return ec == std::errc() && p == field.data() + field.size();
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(pid_t pid, std::string_view text) {
  const auto close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  ProcStat s;
  s.pid = pid;
  // Field 3 is the state; 4 the parent; 5 the process group; 22 the start time.
  const std::string_view state = next_field(rest);
  if (state.size() != 1) return std::nullopt;
  s.state = state[0];
  if (!parse_number(next_field(rest), s.ppid) || !parse_number(next_field(rest), s.pgrp)) return std::nullopt;
  for (int field = 6; field < 22; ++field)
    if (next_field(rest).empty()) return std::nullopt;
  if (!parse_number(next_field(rest), s.start_time)) return std::nullopt;
  return s;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  const UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  char buf[1024];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n <= 0) return std::nullopt;
  return parse_proc_stat(pid, std::string_view(buf, static_cast<std::size_t>(n)));
}

std::vector<ProcStat> list_processes() {
  std::vector<ProcStat> out;
  DIR* dir = ::opendir("/proc");
  if (!dir) return out;
  while (dirent* d = ::readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(d->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    if (auto e = read_proc_stat(static_cast<pid_t>(pid))) out.push_back(*e);
  }
  ::closedir(dir);
  return out;
}

std::optional<char> process_state(pid_t pid) {
  const auto s = read_proc_stat(pid);
  if (!s) return std::nullopt;
  return s->state;
}

std::optional<unsigned long long> process_start_time(pid_t pid) {
  const auto s = read_proc_stat(pid);
  if (!s) return std::nullopt;
  return s->start_time;
}

bool same_process(pid_t pid, unsigned long long start_time) {
  if (pid <= 0) return false;
  const auto s = read_proc_stat(pid);
  return s && s->start_time == start_time && s->state != 'Z';
}

std::optional<std::string> read_proc_cmdline(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/cmdline", static_cast<int>(pid));
  const UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;  // ESRCH: it exited after the open
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  std::replace(out.begin(), out.end(), '\0', ' ');
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace faultline
