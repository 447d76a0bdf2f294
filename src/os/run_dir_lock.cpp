// flock(2) rather than a pid file: the kernel drops the lock with the last
// descriptor of the open file, so a SIGKILLed run never leaves a lock behind,
// and a run's watchdog (a fork of the harness) keeps it while it reverts.
#include "os/run_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <thread>

#include "os/atomic_file.hpp"
#include "os/ledger.hpp"

namespace faultline {

namespace fs = std::filesystem;

namespace {

/// "run ID (pid N)" of the ledger in `dir`, when it can be read.
std::string holder_of(const fs::path& dir) {
  std::ifstream in(dir / "ledger.json");
  if (!in) return "another faultline run";
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    const Ledger l = ledger_from_json(ss.str());
    return fmt::format("run {} of '{}' (pid {})", l.run_id, l.scenario, l.harness_pid);
  } catch (const std::exception&) {
    return "another faultline run";
  }
}

/// Whether the ledger in `dir` says its run finished.
bool finished_run(const fs::path& dir) {
  std::ifstream in(dir / "ledger.json");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return in && ledger_from_json(ss.str()).finished;
  } catch (const std::exception&) {
    return false;
  }
}

bool is_run_file(const fs::path& dir, const std::string& name, int depth) {
  static const char* const kFiles[] = {"run.json", "ledger.json", "report.html", "junit.xml", "summary.md", kRunDirLockName};
  for (const char* f : kFiles)
    if (name == f) return true;
  int pid = 0;
  if (is_temporary_name(name, pid)) return true;
  std::error_code ec;
  if ((name == "logs" || name == "services") && fs::is_directory(dir / name, ec)) return true;
  // A multi-scenario run puts each scenario's run directory under --out.
  if (depth == 0 && fs::is_directory(dir / name, ec) && fs::exists(dir / name / "ledger.json", ec)) return true;
  return false;
}

}  // namespace

std::optional<RunDirLock> RunDirLock::acquire(const fs::path& dir, std::string& why) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    why = fmt::format("{} cannot be created: {}", dir.string(), ec.message());
    return std::nullopt;
  }
  UniqueFd fd(::open((dir / kRunDirLockName).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) {
    why = fmt::format("{}: {}", (dir / kRunDirLockName).string(), std::strerror(errno));
    return std::nullopt;
  }
  // A run that has just finished leaves its watchdog (which shares the lock)
  // exiting for a few milliseconds more: wait for it, at most 3 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EWOULDBLOCK && finished_run(dir) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    why = err == EWOULDBLOCK
              ? fmt::format("{} is in use by {}: a run directory belongs to one run", dir.string(), holder_of(dir))
              : fmt::format("{}: cannot lock: {}", dir.string(), std::strerror(err));
    return std::nullopt;
  }
  return RunDirLock(std::move(fd));
}

std::vector<std::string> run_dir_entries(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name != kRunDirLockName) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool looks_like_run_dir(const fs::path& dir) {
  for (const auto& name : run_dir_entries(dir))
    if (!is_run_file(dir, name, 0)) return false;
  return true;
}

void empty_run_dir(const fs::path& dir) {
  for (const auto& name : run_dir_entries(dir)) fs::remove_all(dir / name);
}

}  // namespace faultline
