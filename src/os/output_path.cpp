// The check, in the order a writer would meet the problems: what is at the
// path itself, then the nearest existing directory (a directory, on a
// filesystem that stores files, writable, not read-only), then a real try.
#include "os/output_path.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "os/input_file.hpp"

namespace faultline {

namespace fs = std::filesystem;

namespace {

/// Kernel filesystems that hold interfaces, not files.
const char* kernel_fs_name(long type) {
  switch (type) {
    case PROC_SUPER_MAGIC: return "/proc (procfs)";
    case SYSFS_MAGIC: return "sysfs";
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC: return "a cgroup filesystem";
    case DEBUGFS_MAGIC: return "debugfs";
    case SECURITYFS_MAGIC: return "securityfs";
    case TRACEFS_MAGIC: return "tracefs";
    case BPF_FS_MAGIC: return "bpffs";
    case DEVPTS_SUPER_MAGIC: return "devpts";
    default: return nullptr;
  }
}

/// The nearest ancestor of `p` (itself included) that exists.
fs::path nearest_existing(const fs::path& p) {
  fs::path cur = p.empty() ? fs::path(".") : p;
  std::error_code ec;
  while (!fs::exists(cur, ec) && cur.has_relative_path()) {
    const fs::path parent = cur.parent_path();
    if (parent.empty()) return ".";
    cur = parent;
  }
  return cur;
}

/// Why files cannot be created in the existing directory `dir`.
std::string directory_problem(const fs::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return fmt::format("cannot be reached: {}", std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return fmt::format("{} is {}, not a directory", dir.string(), file_kind_name(st.st_mode));
  struct statfs sf {};
  if (::statfs(dir.c_str(), &sf) == 0)
    if (const char* k = kernel_fs_name(static_cast<long>(sf.f_type)))
      return fmt::format("{} is on {}, a kernel interface, not a place for files", dir.string(), k);
  struct statvfs sv {};
  if (::statvfs(dir.c_str(), &sv) == 0 && (sv.f_flag & ST_RDONLY))
    return fmt::format("{} is on a read-only filesystem", dir.string());
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return fmt::format("{} is not writable: {}", dir.string(), std::strerror(errno));
  // A real try that leaves nothing: an unnamed file, gone when closed.
  const int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) return {};  // no O_TMPFILE here: trust the above
  return fmt::format("{} cannot hold new files: {}", dir.string(), std::strerror(errno));
}

}  // namespace

std::string output_path_problem(const fs::path& path, OutputKind kind) {
  if (path.empty()) return "an empty path";
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && kind == OutputKind::directory && !S_ISDIR(st.st_mode))
    return fmt::format("{} is {}, not a directory", path.string(), file_kind_name(st.st_mode));
  if (exists && kind == OutputKind::file && !S_ISREG(st.st_mode))
    return fmt::format("{} is {}; faultline writes reports only to regular files (it replaces them atomically)",
                       path.string(), file_kind_name(st.st_mode));
  // A file is written through a temporary beside it: its directory must take
  // new files; a directory must take them itself.
  const fs::path dir = kind == OutputKind::directory ? path : (path.has_parent_path() ? path.parent_path() : ".");
  const fs::path existing = nearest_existing(dir);
  std::string why = directory_problem(existing);
  if (why.empty()) return {};
  return existing == path ? why : fmt::format("{}: {}", path.string(), why);
}

}  // namespace faultline
