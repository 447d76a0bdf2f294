// The run's cgroup (see run_cgroup.hpp).
#include "os/run_cgroup.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "os/fd.hpp"

namespace faultline {

namespace fs = std::filesystem;

namespace {

/// Where the cgroup v2 hierarchy is mounted ("" when it is not).
fs::path cgroup2_mount() {
  std::ifstream in("/proc/self/mounts");
  std::string dev, dir, type, rest;
  while (in >> dev >> dir >> type && std::getline(in, rest))
    if (type == "cgroup2") return dir;
  return {};
}

/// This process's cgroup v2 path ("0::/PATH" in /proc/self/cgroup).
std::string own_cgroup() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return {};
}

bool write_text(const fs::path& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  return fd && ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

/// Removes `cgroup`; retrying for up to `wait_ms` while its last processes
/// finish exiting (a killed orphan stays in it until its new parent reaps it).
bool remove_cgroup(const fs::path& cgroup, int wait_ms) {
  for (int i = 0; i <= wait_ms / 5; ++i) {
    if (::rmdir(cgroup.c_str()) == 0 || errno == ENOENT) return true;
    if (errno != EBUSY) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

fs::path enter_run_cgroup(const std::string& run_id, std::string& why) {
  const fs::path mount = cgroup2_mount();
  if (mount.empty()) {
    why = "no cgroup v2 hierarchy is mounted";
    return {};
  }
  const std::string own = own_cgroup();
  if (own.empty() || own[0] != '/') {
    why = "this process is in no cgroup v2";
    return {};
  }
  const fs::path dir = mount / own.substr(1) / ("faultline-" + run_id);
  if (::mkdir(dir.c_str(), 0755) != 0) {
    why = errno_text("cannot create " + dir.string());
    return {};
  }
  if (::access((dir / "cgroup.kill").c_str(), W_OK) != 0) {
    why = "the kernel has no cgroup.kill (Linux 5.14)";
    ::rmdir(dir.c_str());
    return {};
  }
  if (!write_text(dir / "cgroup.procs", "0")) {
    why = errno_text("cannot move into " + dir.string());
    ::rmdir(dir.c_str());
    return {};
  }
  return dir;
}

bool leave_run_cgroup(const fs::path& cgroup, int parent_procs) {
  if (cgroup.empty()) return true;
  if (parent_procs < 0 || ::write(parent_procs, "0", 1) != 1)
    write_text(cgroup.parent_path() / "cgroup.procs", "0");
  return remove_cgroup(cgroup, 0);
}

int open_parent_procs(const fs::path& cgroup) {
  return ::open((cgroup.parent_path() / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
}

std::vector<pid_t> cgroup_processes(const fs::path& cgroup) {
  std::vector<pid_t> out;
  std::ifstream in(cgroup / "cgroup.procs");
  for (pid_t p = 0; in >> p;)
    if (p != ::getpid()) out.push_back(p);
  return out;
}

int kill_run_cgroup(const fs::path& cgroup, int wait_ms) {
  std::error_code ec;
  if (cgroup.empty() || !fs::is_directory(cgroup, ec)) return 0;
  const int found = static_cast<int>(cgroup_processes(cgroup).size());
  if (!write_text(cgroup / "cgroup.kill", "1")) {
    // No cgroup.kill: one member at a time, until none is left.
    for (int round = 0; round < 50; ++round) {
      const auto left = cgroup_processes(cgroup);
      if (left.empty()) break;
      for (pid_t p : left) ::kill(p, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  remove_cgroup(cgroup, wait_ms);
  return found;
}

}  // namespace faultline
