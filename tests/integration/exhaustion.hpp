// What the exhaustion tests (test_exhaustion.cpp, test_fault_matrix_exhaustion.cpp)
// do to a machine: a small tmpfs filled to the last block, a process's
// descriptors exhausted from outside, and the processes found by their
// command line.
#pragma once

#include <sys/mount.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "harness.hpp"

namespace itest {

/// A tmpfs of `size` mounted at `where` (created) for as long as it lives;
/// unmounted lazily, so that a leftover process holding a file in it cannot
/// make the test hang.
struct Tmpfs {
  fs::path where;
  Tmpfs(fs::path at, const std::string& size) : where(std::move(at)) {
    fs::create_directories(where);
    const std::string opts = "size=" + size;
    if (::mount("tmpfs", where.c_str(), "tmpfs", 0, opts.c_str()) != 0)
      throw std::runtime_error("cannot mount a tmpfs at " + where.string() + ": " + std::strerror(errno));
  }
  ~Tmpfs() { ::umount2(where.c_str(), MNT_DETACH); }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
};

/// Fills the filesystem of `dir` to the last block (a file "fill" in it),
/// then leaves `keep` bytes free by shrinking it. Returns the bytes written.
inline std::size_t fill_disk(const fs::path& dir, std::size_t keep = 0) {
  const fs::path file = dir / "fill";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return 0;
  static const std::string chunk(64 * 1024, 'x');
  std::size_t total = 0;
  for (std::size_t want = chunk.size(); want > 0;) {
    const ssize_t n = ::write(fd, chunk.data(), want);
    if (n > 0) total += static_cast<std::size_t>(n);
    else want /= 2;  // the last blocks: smaller writes until none fits
  }
  if (keep > 0 && total > keep) {
    total -= keep;
    if (::ftruncate(fd, static_cast<off_t>(total)) != 0) total += keep;
  }
  ::close(fd);
  return total;
}

/// Exhausts the descriptors of process `pid` from outside: its limit is set
/// to the lowest descriptor number it has free, so that every open, pipe or
/// socket fails with EMFILE until it closes one. Returns that number.
inline int exhaust_descriptors(pid_t pid) {
  std::set<int> open;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec))
    open.insert(std::stoi(e.path().filename().string()));
  int lowest = 0;
  while (open.count(lowest)) ++lowest;
  const rlimit lim{static_cast<rlim_t>(lowest), static_cast<rlim_t>(lowest)};
  if (::prlimit(pid, RLIMIT_NOFILE, &lim, nullptr) != 0) return -1;
  return lowest;
}

/// Processes (not zombies) whose command line contains every one of `needles`.
inline std::vector<pid_t> processes_with_args(const std::vector<std::string>& needles) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = read_file(e.path() / "cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    bool all = !cmd.empty();
    for (const auto& n : needles) all = all && cmd.find(n) != std::string::npos;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (all && pid != ::getpid() && state_of(pid) != 'Z' && state_of(pid) != '-') out.push_back(pid);
  }
  return out;
}

/// Polls until no process matches `needles` or `timeout`; returns those left.
inline std::vector<pid_t> wait_gone(const std::vector<std::string>& needles, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = processes_with_args(needles);
    if (left.empty() || std::chrono::steady_clock::now() >= deadline) return left;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace itest
