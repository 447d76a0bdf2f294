// Helpers for integration tests: run the real faultline binary (and other
// programs) as child processes, read what they wrote, and scan /proc for
// anything a run left behind.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace itest {

namespace fs = std::filesystem;

/// An environment variable set by meson test (see tests/meson.build), made
/// absolute: scenarios start services in their own directories, so a path
/// given relative to the caller's directory (as the benchmarks' documented
/// commands do) would not be found there.
inline std::string env_path(const char* name) {
  const char* v = std::getenv(name);
  if (!v) throw std::runtime_error(std::string(name) + " is not set: run through `meson test`");
  return std::filesystem::absolute(v).string();
}

inline std::string faultline_bin() { return env_path("FAULTLINE_BIN"); }
/// The optimized faultline when FAULTLINE_OPTIMIZED_BIN names one (CI's
/// tests/check.sh: its README command 1 build), else faultline_bin(). Only
/// the fault matrix's repeated cells (test_fault_matrix.cpp) and the
/// restart race's tries after its 40th (test_exhaustion.cpp) use it.
inline std::string optimized_faultline_bin() {
  return std::getenv("FAULTLINE_OPTIMIZED_BIN") ? env_path("FAULTLINE_OPTIMIZED_BIN") : faultline_bin();
}
inline std::string flaky_server_bin() { return env_path("FAULTLINE_FLAKY_SERVER"); }
inline fs::path source_root() { return env_path("FAULTLINE_SOURCE_ROOT"); }

/// A fresh directory under /tmp, removed with everything in it at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "faultline-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path operator/(const std::string& name) const { return path / name; }
};

inline void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A child process with stdout and stderr captured to files.
struct Spawned {
  pid_t pid = -1;
  fs::path out, err;
};

/// Starts `argv` in `cwd` with output to files in `dir`, with `extra_env`
/// ("NAME=value") added to the environment.
inline Spawned spawn(const std::vector<std::string>& argv, const fs::path& dir, const std::string& tag,
                     const fs::path& cwd = {}, const std::vector<std::string>& extra_env = {}) {
  Spawned s;
  s.out = dir / (tag + ".out");
  s.err = dir / (tag + ".err");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, s.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, s.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Each test's runs keep their crash ledgers in the test's own directory.
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e)
    if (std::string_view(*e).substr(0, 20) != "FAULTLINE_STATE_DIR=") env_store.emplace_back(*e);
  env_store.push_back("FAULTLINE_STATE_DIR=" + (dir / "state").string());
  for (const auto& e : extra_env) env_store.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  int rc = posix_spawnp(&s.pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  return s;
}

/// Waits for a child with a deadline (pidfd + poll: no sleep loop). Returns
/// the exit code, 128+N for a signal, or -1 on timeout (the child is then killed).
inline int wait_for(const Spawned& s, std::chrono::milliseconds timeout) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, s.pid, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    ::close(pidfd);
    if (r == 0) {
      ::kill(s.pid, SIGKILL);
      ::waitpid(s.pid, nullptr, 0);
      return -1;
    }
  }
  int status = 0;
  ::waitpid(s.pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

/// The outcome of a command run to completion.
struct Result {
  int code = -1;
  std::string out, err;
};

/// Runs `argv` (a faultline binary and its arguments) in `cwd` (default:
/// the temp dir) and waits.
inline Result run_faultline_argv(const TempDir& dir, const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout = std::chrono::minutes(3),
                                 const fs::path& cwd = {}) {
  static std::atomic<int> n{0};
  Spawned s = spawn(argv, dir.path, "faultline-" + std::to_string(++n), cwd.empty() ? dir.path : cwd);
  Result r;
  r.code = wait_for(s, timeout);
  r.out = read_file(s.out);
  r.err = read_file(s.err);
  return r;
}

/// Runs faultline with `args` in `cwd` (default: the temp dir) and waits.
inline Result faultline(const TempDir& dir, std::vector<std::string> args,
                        std::chrono::milliseconds timeout = std::chrono::minutes(3), const fs::path& cwd = {}) {
  args.insert(args.begin(), faultline_bin());
  return run_faultline_argv(dir, args, timeout, cwd);
}

inline boost::json::value read_json(const fs::path& p) { return boost::json::parse(read_file(p)); }

/// How many harness stalls the run in `run_dir` recorded if it ended
/// inconclusive with any (it judged nothing: faultline was right to say it
/// could not see); 0 for any other run, or none written.
inline std::size_t starved_inconclusive(const fs::path& run_dir) {
  std::error_code ec;
  if (!fs::exists(run_dir / "run.json", ec)) return 0;
  const boost::json::value rec = read_json(run_dir / "run.json");
  const auto* stalls = rec.as_object().if_contains("stalls");
  if (rec.at("outcome").as_string() != "inconclusive" || !stalls) return 0;
  return stalls->as_array().size();
}

/// faultline() for a `run` whose judgment the test is about (a drill that
/// must pass, a counter-case that must fail). A run that ended inconclusive
/// (exit 3) with harness stalls in its record judged nothing: faultline was
/// right to say it could not see (docs/measurement.md). On a 2-vCPU virtual
/// machine, even an idle one, the host takes the harness's CPU for 20-90 ms
/// every few tens of seconds, so such a run is run again, at most twice,
/// each earlier --out directory kept beside as DIR.starved (then
/// DIR.starved2), and the last run's result is the test's, whatever it is.
/// A run that failed a verdict (exit 1) or passed is never run again.
inline Result faultline_judged(const TempDir& dir, std::vector<std::string> args,
                               std::chrono::milliseconds timeout = std::chrono::minutes(3), const fs::path& cwd = {}) {
  Result r = faultline(dir, args, timeout, cwd);
  auto out = std::find(args.begin(), args.end(), std::string("--out"));
  if (out == args.end() || std::next(out) == args.end()) return r;
  const fs::path run_dir = *std::next(out);
  for (int again = 1; again <= 2 && r.code == 3; ++again) {
    const std::size_t stalls = starved_inconclusive(run_dir);
    if (stalls == 0) return r;
    const fs::path kept = run_dir.string() + (again == 1 ? ".starved" : ".starved2");
    fmt::print(stderr, "faultline_judged: inconclusive with the harness starved ({} stall(s) in its record): run "
               "again; that run is in {}\n", stalls, kept.string());
    fs::rename(run_dir, kept);
    r = faultline(dir, args, timeout, cwd);
  }
  return r;
}

/// Every process whose process group is in `pgids` (scans /proc/*/stat).
inline std::vector<pid_t> processes_in_groups(const std::set<pid_t>& pgids) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = read_file(e.path() / "stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string state;
    pid_t ppid = 0, pgrp = 0;
    rest >> state >> ppid >> pgrp;
    if (pgids.count(pgrp)) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

/// Waits until `file` contains `text` (a run's own progress line), polling
/// the file the run writes; false after `timeout`.
inline bool wait_for_text(const fs::path& file, const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (read_file(file).find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    ::usleep(10000);  // the file is re-read every 10 ms until the deadline
  }
}

/// The state letter of a process ('T' stopped, 'Z' zombie...), '-' when gone.
inline char state_of(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? '-' : stat[close + 2];
}

/// The processes of the groups that are still alive (zombies excluded: once
/// the harness is gone, init reaps its orphans in its own time).
inline std::vector<pid_t> live_in_groups(const std::set<pid_t>& pgids) {
  std::vector<pid_t> out;
  for (pid_t p : processes_in_groups(pgids)) {
    const char st = state_of(p);
    if (st != 'Z' && st != '-') out.push_back(p);
  }
  return out;
}

/// Polls /proc until no process of the groups is alive or `deadline` passes
/// (the kernel delivers SIGKILL to each process on its own schedule).
/// Whether they are all gone.
inline bool groups_gone_by(const std::set<pid_t>& pgids, std::chrono::steady_clock::time_point deadline) {
  while (!live_in_groups(pgids).empty()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

inline bool process_exists(pid_t pid) { return fs::exists("/proc/" + std::to_string(pid)); }

/// The pids of every service process a run started, from the record's
/// service events ("started" events carry "pid N").
inline std::set<pid_t> started_pids(const boost::json::value& record) {
  std::set<pid_t> out;
  for (const auto& e : record.at("service_events").as_array()) {
    if (e.at("what").as_string() != "started") continue;
    std::string detail(e.at("detail").as_string());
    auto at = detail.find("pid ");
    if (at != std::string::npos) out.insert(static_cast<pid_t>(std::stol(detail.substr(at + 4))));
  }
  return out;
}

/// The processes of the run's services (each leads its own process group)
/// that are still alive: empty when the run left nothing behind.
inline std::vector<pid_t> leftover_processes(const boost::json::value& record) {
  return processes_in_groups(started_pids(record));
}

/// The verdict of `threshold` (and, for per-step verdicts such as "verify",
/// of `scope`: the step's name) in a record, or nullptr.
inline const boost::json::object* find_verdict(const boost::json::value& record, std::string_view threshold,
                                               std::string_view scope = {}) {
  for (const auto& v : record.at("verdicts").as_array()) {
    if (v.at("threshold").as_string() != threshold) continue;
    if (!scope.empty() && (!v.as_object().contains("scope") || v.at("scope").as_string() != scope)) continue;
    return &v.as_object();
  }
  return nullptr;
}

/// A scenario around the flaky_server fixture: its HTTP port is probed and an
/// exec fault triggers an outage `pattern` that the server plays exactly.
inline std::string flaky_scenario(const std::string& pattern, const std::string& extra_top,
                           const std::string& thresholds, const std::string& interval = "20ms") {
  const std::string server = flaky_server_bin();
  return fmt::format(R"(name = "flaky"
iterations = 3
steady_for = "200ms"
recovered_after = 3
watch = "200ms"
give_up_after = "5s"
cool_down = "100ms"
{extra_top}
[[service]]
name = "app"
command = ["{server}", "--port", "{{port.app}}", "--control-port", "{{port.ctl}}",
           "--mode", "refuse", "--events", "{{service.dir}}/events"]
ports = ["app", "ctl"]
[service.ready]
kind = "tcp"
port = "{{port.app}}"

[[probe]]
name = "http"
kind = "http"
port = "{{port.app}}"
interval = "{interval}"

[[fault]]
name = "outage"
kind = "exec"
apply = ["{server}", "--trigger", "{{port.ctl}}", "--pattern", "{pattern}"]
at = "100ms"

[thresholds]
{thresholds}
)",
                     fmt::arg("server", server), fmt::arg("pattern", pattern), fmt::arg("extra_top", extra_top),
                     fmt::arg("thresholds", thresholds), fmt::arg("interval", interval));
}

/// The server's own transition times (CLOCK_MONOTONIC ns) from its events file.
inline std::vector<std::pair<std::string, std::int64_t>> server_events(const fs::path& file) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  std::istringstream in(read_file(file));
  std::string what;
  std::int64_t ns = 0;
  while (in >> what >> ns) out.emplace_back(what, ns);
  return out;
}

}  // namespace itest
