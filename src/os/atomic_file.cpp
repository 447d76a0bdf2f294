#include "os/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace faultline {

namespace {
[[noreturn]] void fail(const std::filesystem::path& p, const char* what) {
  throw std::runtime_error("cannot write " + p.string() + ": " + what + ": " + std::strerror(errno));
}
}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view content, Durability durability) {
  const bool sync = durability == Durability::durable;
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  remove_stale_temporaries(path);
  const std::filesystem::path tmp = dir / ("." + path.filename().string() + ".tmp" + std::to_string(::getpid()));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(tmp, "open");
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail(tmp, "write");
    }
    done += static_cast<std::size_t>(n);
  }
  if ((sync && ::fsync(fd) != 0) || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    fail(tmp, "fsync");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail(path, "rename");
  }
  if (!sync) return;
  // Make the rename itself durable.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

namespace {

/// Whether the writer `pid` is gone for certain (a live one, or one we may
/// not signal, may still rename its temporary).
bool writer_gone(pid_t pid) { return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH; }

}  // namespace

bool is_temporary_name(const std::string& name, int& pid) {
  if (name.size() < 2 || name[0] != '.') return false;
  const auto at = name.rfind(".tmp");
  if (at == std::string::npos || at < 2) return false;
  const std::string digits = name.substr(at + 4);
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return false;
  pid = std::stoi(digits);
  return true;
}

int remove_stale_temporaries(const std::filesystem::path& path) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const std::string prefix = "." + path.filename().string() + ".tmp";
  int removed = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    int writer = 0;
    if (!is_temporary_name(name, writer) || name.size() != prefix.size() + std::to_string(writer).size() ||
        !writer_gone(writer))
      continue;
    std::error_code rm;
    if (std::filesystem::remove(e.path(), rm)) ++removed;
  }
  return removed;
}

std::vector<std::filesystem::path> remove_stale_temporaries_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> removed;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    int writer = 0;
    std::error_code st;
    if (!is_temporary_name(e.path().filename().string(), writer) || !e.is_regular_file(st) || !writer_gone(writer))
      continue;
    std::error_code rm;
    if (std::filesystem::remove(e.path(), rm)) removed.push_back(e.path());
  }
  return removed;
}

}  // namespace faultline
