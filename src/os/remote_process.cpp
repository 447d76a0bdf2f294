// The scripts of remote_process.hpp. Each is built from small pieces of
// POSIX sh; a pid is only ever interpolated as a number.
#include "os/remote_process.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>

#include "scenario/signals.hpp"

namespace faultline {

namespace {

/// The signal's name as `kill -s` takes it ("STOP").
std::string kill_name(int signal) {
  std::string n = signal_name(signal);
  if (n.rfind("SIG", 0) == 0) n.erase(0, 3);
  return n;
}

void check_pid(const RemoteProcess& p) {
  // PID 1 and the kernel's are never targets (docs/design.md section 4).
  if (p.pid <= 1) throw std::invalid_argument(fmt::format("refusing to signal pid {} on a host", p.pid));
}

/// The body that waits until every process of `p` is (or none is) stopped.
std::string await_body(const RemoteProcess& p, bool stopped, Nanos timeout) {
  const long long polls = std::max<long long>(1, std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count() / 10);
  // fl_bad: a process not yet in the wanted state.
  const std::string bad = stopped ? R"(case $fl_state in T|t|Z) ;; *) n=$((n + 1)) ;; esac)"
                                  : R"(case $fl_state in T|t) n=$((n + 1)) ;; esac)";
  // The process itself, then (for a group) every other member of its group.
  std::string scan = fmt::format("if fl_stat {}; then {}; fi", p.pid, bad);
  if (p.group)
    scan += fmt::format("; for d in /proc/[0-9]*; do [ \"${{d#/proc/}}\" = {0} ] && continue; "
                        "fl_stat \"${{d#/proc/}}\" || continue; [ \"$fl_pgrp\" = {0} ] || continue; {1}; done",
                        p.pid, bad);
  return fmt::format(
      "i=0\n"
      "while :; do\n"
      "  n=0; {scan}\n"
      "  if [ $n -eq 0 ]; then echo {word}; exit 0; fi\n"
      "  i=$((i + 1)); if [ $i -ge {polls} ]; then echo timeout; exit 4; fi\n"
      "  sleep 0.01 2>/dev/null || sleep 1\n"
      "done\n",
      fmt::arg("scan", scan), fmt::arg("word", stopped ? "stopped" : "running"), fmt::arg("polls", polls));
}

/// The body that signals `p` after the identity check; `gone` is what a
/// process that is no longer there makes the script do.
std::string signal_body(const RemoteProcess& p, int signal, const std::string& gone) {
  // A process that leads no group of its own (an attached one may not) is
  // signalled alone.
  const std::string target = p.group ? fmt::format("-{}", p.pid) : fmt::format("{}", p.pid);
  return fmt::format(
      "t={target}\n"
      "if fl_stat {pid}; then [ \"$fl_start\" = {start} ] || {{ {gone}; }}; [ \"$fl_pgrp\" = {pid} ] || t={pid}\n"
      "elif [ {group} = 0 ]; then {gone}\n"
      "fi\n"
      "kill -s {sig} -- $t 2>/dev/null || {{ {gone}; }}\n",
      fmt::arg("pid", p.pid), fmt::arg("start", p.start_time), fmt::arg("gone", gone),
      fmt::arg("group", p.group ? 1 : 0), fmt::arg("sig", kill_name(signal)), fmt::arg("target", target));
}

}  // namespace

std::string procfs_functions() {
  // fl_stat PID sets fl_state (field 3), fl_pgrp (5) and fl_start (22), or
  // fails when there is no such process. The fields follow the last ") ".
  return R"(fl_stat() {
  fl_s=
  { read -r fl_s <"/proc/$1/stat"; } 2>/dev/null
  [ -n "$fl_s" ] || return 1
  fl_s=${fl_s##*) }
  set -- $fl_s
  fl_state=$1 fl_pgrp=$3
  shift 19
  fl_start=$1
}
fl_is() { fl_stat "$1" && [ "$fl_start" = "$2" ]; }
)";
}

std::string signal_script(const RemoteProcess& p, int signal) {
  check_pid(p);
  return procfs_functions() + signal_body(p, signal, "echo gone; exit 3") + "echo sent\n";
}

std::string await_state_script(const RemoteProcess& p, bool stopped, Nanos timeout) {
  check_pid(p);
  return procfs_functions() + await_body(p, stopped, timeout);
}

std::string pause_script(const RemoteProcess& p, Nanos timeout) {
  check_pid(p);
  return procfs_functions() + signal_body(p, SIGSTOP, "echo gone; exit 3") + await_body(p, true, timeout);
}

std::string resume_script(const RemoteProcess& p, Nanos timeout) {
  check_pid(p);
  // Nothing of that process left: nothing is stopped, the revert is done.
  return procfs_functions() + signal_body(p, SIGCONT, "echo gone; exit 0") + await_body(p, false, timeout);
}

}  // namespace faultline
