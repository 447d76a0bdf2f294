#include "os/run_mount.hpp"

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace faultline {

namespace fs = std::filesystem;

void mount_run_tmpfs(const fs::path& dir, std::int64_t size) {
  const std::string options = fmt::format("size={},mode=0755", size);
  if (::mount("faultline", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0)
    throw std::runtime_error(fmt::format("cannot mount a tmpfs of {} bytes at {}: {}", size,
                                         dir.string(), std::strerror(errno)));
}

bool is_mount_point(const fs::path& dir) { return !top_mount_device(dir).empty(); }

std::string top_mount_device(const fs::path& dir) {
  // /proc/self/mountinfo's fifth field is the mount point (spaces escaped
  // as \040): exact, and right for a bind mount of the same device too.
  // The parent canonical, not the mount point: a FUSE mount whose server
  // died answers every stat with ENOTCONN, and must still be found. Mounts
  // stacked at one point are listed bottom first.
  std::error_code ec;
  fs::path clean = dir.lexically_normal();
  if (!clean.has_filename() && clean != clean.root_path()) clean = clean.parent_path();
  const fs::path canonical = clean.has_filename()
                                 ? fs::weakly_canonical(clean.parent_path(), ec) / clean.filename()
                                 : fs::weakly_canonical(clean, ec);
  std::ifstream in("/proc/self/mountinfo");
  std::string line, top;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    if (!(fields >> id >> parent >> dev >> root >> point)) continue;
    std::string unescaped;
    for (std::size_t i = 0; i < point.size(); ++i) {
      if (point[i] == '\\' && i + 3 < point.size()) {
        unescaped += static_cast<char>(std::stoi(point.substr(i + 1, 3), nullptr, 8));
        i += 3;
      } else {
        unescaped += point[i];
      }
    }
    if (unescaped == canonical.string()) top = dev;
  }
  return top;
}

std::string unmount_run_mount(const fs::path& dir) {
  for (int attempt = 0; attempt < 8 && is_mount_point(dir); ++attempt) {
    if (::umount2(dir.c_str(), 0) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) return "";  // not mounted (any more)
    if (errno == EBUSY && ::umount2(dir.c_str(), MNT_DETACH) == 0) continue;
    return fmt::format("cannot unmount {}: {}", dir.string(), std::strerror(errno));
  }
  return is_mount_point(dir) ? fmt::format("{} is still mounted", dir.string()) : std::string();
}

FsSpace filesystem_space(const fs::path& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0)
    throw std::runtime_error(
        fmt::format("cannot read the free space of {}: {}", dir.string(), std::strerror(errno)));
  const auto unit = static_cast<std::int64_t>(st.f_frsize);
  return {static_cast<std::int64_t>(st.f_blocks) * unit,
          static_cast<std::int64_t>(st.f_bavail) * unit};
}

}  // namespace faultline
